"""The scratch folder in /tmp where a media job step keeps the files it works on.

Each workflow step may run in a fresh Lambda environment, so a step downloads what it needs into
a folder of its own and removes it when done. A step killed by Lambda's timeout cannot clean up
after itself: the next step in that environment removes folders old enough that no step can
still be using them.
"""

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRATCH_PREFIX = "herald-job-"
# Twice Lambda's longest run: no step can still be writing into a folder this old.
STALE_AFTER_SECONDS = 30 * 60


@contextmanager
def scratch_folder() -> Iterator[Path]:
    _remove_stale_folders()
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _remove_stale_folders() -> None:
    limit = time.time() - STALE_AFTER_SECONDS
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        try:
            stale = folder.is_dir() and folder.stat().st_mtime < limit
        except OSError:
            continue  # removed meanwhile
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
