# The portal's image: web, worker and beat all run it, with different commands
# (see docker-compose.yml). Configuration comes from the environment only.

# Front-end libraries from npm, pinned by package-lock.json.
FROM node:22-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN mkdir portal && touch portal/__init__.py \
    && pip install . \
    && pip uninstall --yes groundskeeper \
    && rm -rf portal build *.egg-info

COPY . .
COPY --from=assets /app/node_modules ./node_modules

# collectstatic reads settings, which need a SECRET_KEY and a PostgreSQL URL;
# neither is used nor kept in the image.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres:///unused \
    python manage.py collectstatic --noinput \
    && useradd --create-home --uid 10001 groundskeeper

USER groundskeeper
EXPOSE 8000
# Workers, threads and timeouts come from gunicorn.conf.py.
CMD ["gunicorn", "portal.wsgi", "--bind=0.0.0.0:8000"]
