# The service: migrations run at start, then uvicorn serves on port 8000.
# Needs SECRET_KEY (refused if left at the development default) and DATABASE_URL
# (PostgreSQL for multi-machine deployments; SQLite under /app/data otherwise).

FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY app/static/src app/static/src
RUN npm run build:css

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    ENVIRONMENT=production PATH="/app/.venv/bin:$PATH"
RUN pip install --no-cache-dir uv==0.13.9 && useradd --create-home --uid 10001 app
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY alembic.ini ./
COPY migrations migrations
COPY app app
# The demo's improvement plan is the documented example file (python -m app demo-data reads it).
COPY docs/examples docs/examples
COPY --from=assets /build/app/static/dist app/static/dist
RUN uv sync --frozen --no-dev && mkdir -p data && chown -R app:app data
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "python -m app migrate && exec python -m app serve --host 0.0.0.0 --port 8000"]
