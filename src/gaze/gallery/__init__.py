"""The gallery: the generated images (ImageRow), read for pages and changed by people.

`service` is what routes call (built by the runtime); the modules beside it each hold one
part: `filters` (what a listing asks for), `cards` (an image as a card), `listing`,
`detail`, `options` (the filter bar's choices), `search` (by prompt text), `recent`
(stand-in covers), `job_images` (the image each job made) and `changes` (flags, delete).
"""
