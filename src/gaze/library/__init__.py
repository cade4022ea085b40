"""The library: reusable prompt building blocks (characters, looks, outfits, actions, styles,
scenes, detailers) and checkpoint settings.

`schema` holds the models; `view` is the library as preset resolution sees it, with
`database_view` reading it from the database. Services (no HTTP inside; errors from
`gaze.service_errors`): `service` (resources in the database) and `checkpoint_catalogue`
(checkpoint files of the backends with their settings, and LoRA files). Presets build on
the library (`gaze.presets`); folders of JSON files hold both (`gaze.folders`).
"""
