"""``POST /upload/image`` as ComfyUI's ``server.py`` answers it, into the stand-in's stored files.

Multipart form: ``image`` (the file; its filename names it), ``type`` (``input`` by default,
``temp`` or ``output``), ``subfolder`` and ``overwrite`` (``"true"`` or ``"1"``). Without
overwrite, a name already taken by other bytes gets `` (1)``, `` (2)``... before its
extension, and identical bytes are not stored again. The answer is
``{"name", "subfolder", "type"}``; a missing ``image`` or filename, or a path leaving the
folder, is a bare 400.
"""

from __future__ import annotations

import posixpath

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

StoredFiles = dict[tuple[str, str, str], bytes]
UPLOAD_TYPES = ("input", "temp", "output")


def _inside_folder(subfolder: str, filename: str) -> bool:
    path = posixpath.normpath(posixpath.join(subfolder.replace("\\", "/"), filename))
    return not (path.startswith("/") or path == ".." or path.startswith("../"))


async def upload_image(request: Request, stored_files: StoredFiles) -> Response:
    form = await request.form()
    image = form.get("image")
    folder_type = str(form.get("type") or "input")
    if folder_type not in UPLOAD_TYPES:
        # ComfyUI has no folder for it and fails with an UnboundLocalError.
        return Response(status_code=500)
    if not isinstance(image, UploadFile):
        return Response(status_code=400)
    filename = image.filename or ""
    if not filename:
        return Response(status_code=400)
    subfolder = str(form.get("subfolder") or "")
    if not _inside_folder(subfolder, filename):
        return Response(status_code=400)
    data = await image.read()
    key_folder = posixpath.normpath(subfolder) if subfolder else ""
    stem, extension = posixpath.splitext(filename)
    overwrite = form.get("overwrite") in ("true", "1")
    counter = 1
    while not overwrite and (folder_type, key_folder, filename) in stored_files:
        if stored_files[(folder_type, key_folder, filename)] == data:
            break  # the same file again: nothing to store
        filename = f"{stem} ({counter}){extension}"
        counter += 1
    stored_files[(folder_type, key_folder, filename)] = data
    return JSONResponse({"name": filename, "subfolder": subfolder, "type": folder_type})


def stored_paths(stored_files: StoredFiles) -> dict[str, list[str]]:
    """Relative paths of the stored files per folder type (``sub/name.png``)."""
    paths: dict[str, list[str]] = {folder_type: [] for folder_type in UPLOAD_TYPES}
    for folder_type, subfolder, filename in stored_files:
        path = f"{subfolder}/{filename}" if subfolder else filename
        paths.setdefault(folder_type, []).append(path)
    return paths
