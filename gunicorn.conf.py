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
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "24"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
keepalive = 75
accesslog = "-"
# The default control socket is one per user in ~/.gunicorn, shared by every
# gunicorn of the machine.
control_socket_disable = True
