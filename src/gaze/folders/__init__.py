"""Library folders: the library and the presets as a folder of JSON files (`files`), and
importing and exporting such folders to and from the database (`transfer`). Above both
`gaze.library` and `gaze.presets`, since a folder holds both."""
