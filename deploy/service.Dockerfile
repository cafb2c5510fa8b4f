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
WORKDIR /src
COPY . .
RUN UV_PROJECT_ENVIRONMENT=/venv uv sync --frozen --no-dev --no-editable --package ${PACKAGE}

FROM python:3.11-slim AS service
ARG MODULE
RUN useradd --system --uid 10001 --home-dir /app parley && mkdir -p /app/data && chown parley /app/data
COPY --from=build /venv /venv
USER parley
WORKDIR /app
ENV PATH=/venv/bin:$PATH MODULE=${MODULE}
CMD ["sh", "-c", "exec python -m \"$MODULE\""]

FROM service AS edge
COPY --from=web /src/web/app/dist /app/web
ENV PARLEY_EDGE_WEB_DIR=/app/web

# The default target: a service without the web app (BuildKit builds the web stage only for `edge`).
FROM service
