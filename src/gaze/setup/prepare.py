"""`gaze init`: an idempotent preparation of the data folder for first use."""

from __future__ import annotations

from pathlib import Path

from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.db.models import SettingRow, utcnow
from gaze.engines.registry import LOCAL_BACKEND
from gaze.examples import DEMO_CHECKPOINT, example_library_path
from gaze.folders.files import read_library_folder
from gaze.folders.transfer import upsert_wordlist
from gaze.library.store import upsert_checkpoint, upsert_resource
from gaze.media.storage import save_png_as
from gaze.presets.store import upsert_preset
from gaze.settings import Settings
from gaze.setup.placeholder_cover import draw_cover

EXAMPLES_INSTALLED = "examples_installed_at"
MODEL_FOLDERS = ("checkpoints", "loras", "vae")
NO_DEMO_CHECKPOINT = (
    "No checkpoint in {folder}; an API-only process does not write the demo checkpoint "
    "(`gaze init` or `gaze serve` with a worker does)"
)


def model_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.safetensors") if path.is_file())


def prepare_data_folder(settings: Settings, *, demo_checkpoint: bool = True) -> list[str]:
    """Create folders, migrate the database, add the demo checkpoint and example library.

    Returns what was done, one line each; running it again changes nothing. Without
    `demo_checkpoint` (an API-only process, which must not import torch to write it) a
    missing demo checkpoint is only reported.
    """
    done: list[str] = []
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.resolved_media_dir.mkdir(parents=True, exist_ok=True)
    for folder in MODEL_FOLDERS:
        (settings.resolved_models_dir / folder).mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    try:
        upgrade_to_head(database.engine)
        if LOCAL_BACKEND in settings.backend_names:
            if demo_checkpoint:
                done += _ensure_demo_checkpoint(settings.checkpoints_dir)
            elif not model_files(settings.checkpoints_dir):
                done.append(NO_DEMO_CHECKPOINT.format(folder=settings.checkpoints_dir))
        done += _install_examples(database, settings.resolved_media_dir)
    finally:
        database.dispose()
    return done


def _ensure_demo_checkpoint(checkpoints: Path) -> list[str]:
    if model_files(checkpoints):
        return []
    try:
        from gaze.engines.local.tiny_checkpoint import write_tiny_checkpoint
    except ImportError:
        return [
            "No checkpoint and no embedded engine (pip install 'gaze[local]'); skipped the demo"
        ]
    write_tiny_checkpoint(checkpoints / DEMO_CHECKPOINT, "sd1", seed=0)
    return [
        f"Created the demo checkpoint {checkpoints / DEMO_CHECKPOINT}: tiny random weights whose "
        "images are noise. Put real .safetensors checkpoints in that folder."
    ]


def _install_examples(database: Database, media_dir: Path) -> list[str]:
    with database.session() as session:
        if session.get(SettingRow, EXAMPLES_INSTALLED) is not None:
            return []
    imported = read_library_folder(example_library_path())
    if imported.errors:
        problems = "; ".join(str(problem) for problem in imported.errors)
        raise RuntimeError(f"the bundled example library is invalid: {problems}")
    with database.session() as session:
        for checkpoint in imported.checkpoints:
            upsert_checkpoint(session, checkpoint)
        resources = [item for items in imported.resources.values() for item in items]
        for resource in resources:
            upsert_resource(session, resource)
        for wordlist in imported.wordlists:
            upsert_wordlist(session, wordlist)
        for preset in imported.presets:
            cover = f"presets/{preset.slug}/cover.png"
            save_png_as(media_dir, cover, draw_cover(preset.name))
            upsert_preset(session, preset.model_copy(update={"cover": cover}))
        session.add(SettingRow(key=EXAMPLES_INSTALLED, value=utcnow().isoformat()))
    return [
        f"Installed the example library: {len(resources)} resources, "
        f"{len(imported.wordlists)} wordlists, {len(imported.presets)} presets"
    ]
