"""gunicorn settings for every way the portal is served (`make run`, the Docker
image, compose). gunicorn reads this file from the working directory.

Threaded workers matter for ingestion: concurrent requests of one process are
committed as one group (lineage.ingestion.group_commit), which a process that
serves one request at a time never gets to do. Run the portal behind a buffering
reverse proxy in production: a worker thread waits for the whole request body,
so slow or stalled uploads hold threads.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "3"))
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
keepalive = 75
# Each worker listens on a socket of its own, and the kernel spreads new
# connections over them. On one shared socket, whichever worker woke first took
# them, and a keep-alive connection stays with the worker that took it.
reuse_port = os.environ.get("WEB_REUSE_PORT", "true").lower() == "true"
# Off unless WEB_ACCESS_LOG names a file ("-" for stdout): a line per request,
# written under one lock by every thread, cost a fifth of the CPU time of
# single-event ingestion. A reverse proxy in front usually keeps this log.
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
# The default control socket is one per user in ~/.gunicorn, shared by every
# gunicorn of the machine.
control_socket_disable = True


def post_worker_init(worker):
    """Tune the cyclic garbage collector of each worker once the app is loaded.

    Requests allocate many short-lived containers that reference counting
    frees, so collections every 700 allocations mostly scan live request data.
    Freezing what the app loaded keeps it out of every later collection.
    """
    import gc

    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


# Allocations between young-generation collections; Python's default is 700.
GC_THRESHOLD = int(os.environ.get("WEB_GC_THRESHOLD", "50000"))
