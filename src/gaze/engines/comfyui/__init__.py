"""ComfyUI backends, one module per concern:

* ``workflow``: the text-to-image graph GAZE sends (a pure function of the spec);
* ``templates``: custom workflows with placeholders: validating (``validate_template``),
  choosing (``template_to_use``) and filling them; pure, safe to import anywhere;
* ``client``: ComfyUI's HTTP + websocket protocol; ``backend_errors``: its error payloads;
* ``engine``: ``ComfyUIEngine``, the Engine protocol over one server.

Nothing is imported here, so that importing the pure modules costs nothing more.
"""
