# One image recipe for every Parley service: only that service's packages, installed
# from the workspace lock, run as a non-root user. Build from the repository root:
#   docker build -f deploy/service.Dockerfile --build-arg PACKAGE=parley-chat --build-arg MODULE=parley_chat .
# The edge's image is the `edge` stage (`--target edge`): the same, plus the chat web
# app's static build, which it serves at `/`.
FROM node:20-slim AS web
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WORKDIR /src
COPY contracts/schemas contracts/schemas
COPY web web
RUN cd web && npm ci --no-audit --no-fund && npm run build

FROM python:3.11-slim AS build
ARG PACKAGE
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_PROJECT_ENVIRONMENT=/venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
WORKDIR /src
# Dependencies first, in a layer of their own: only the lock and every workspace member's
# pyproject.toml go in, so an edit to the code does not install them again.
COPY pyproject.toml uv.lock ./
COPY bench/pyproject.toml bench/
COPY client/pyproject.toml client/
COPY contracts/pyproject.toml contracts/
COPY runtime/pyproject.toml runtime/
COPY stack/pyproject.toml stack/
COPY storage/pyproject.toml storage/
COPY testkit/pyproject.toml testkit/
COPY services/ai-assistant/pyproject.toml services/ai-assistant/
COPY services/auth/pyproject.toml services/auth/
COPY services/chat/pyproject.toml services/chat/
COPY services/dm/pyproject.toml services/dm/
COPY services/ws-edge/pyproject.toml services/ws-edge/
RUN uv sync --frozen --no-dev --no-install-workspace --package ${PACKAGE}
# Then Parley's own packages, from the sources.
COPY . .
RUN uv sync --frozen --no-dev --no-editable --package ${PACKAGE}

FROM python:3.11-slim AS service
ARG MODULE
# The working directory is the non-root user's own, so a relative data path is writable.
RUN useradd --system --uid 10001 --home-dir /app parley && mkdir -p /app/data && chown parley:parley /app/data
COPY --from=build /venv /venv
USER parley
WORKDIR /app/data
ENV PATH=/venv/bin:$PATH MODULE=${MODULE} PYTHONUNBUFFERED=1
CMD ["sh", "-c", "exec python -m \"$MODULE\""]

FROM service AS edge
COPY --from=web /src/web/app/dist /app/web
ENV PARLEY_EDGE_WEB_DIR=/app/web

# The default target: a service without the web app (BuildKit builds the web stage only for `edge`).
FROM service
