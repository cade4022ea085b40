"""ComfyUI backends, one module per concern:

* ``workflow``: the text-to-image graph GAZE sends (a pure function of the spec);
* ``template_filling``: a custom workflow (see `gaze.workflow_templates`) filled from the spec;
* ``client``: ComfyUI's HTTP routes and websocket; ``backend_errors``: its error payloads;
* ``prompt_run``: one prompt queued, followed to its end and its image fetched, over the client;
* ``prompt_tracking``: what ComfyUI's messages and history say of that prompt (no I/O);
  ``sampling_progress``: its progress messages as one fraction;
* ``engine``: ``ComfyUIEngine``, the Engine protocol over one server.

Nothing is imported here, so that importing the pure modules costs nothing more.
"""
