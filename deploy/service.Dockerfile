# One image recipe for every Parley service: only that service's packages, installed
# from the workspace lock, run as a non-root user. Build from the repository root:
#   docker build -f deploy/service.Dockerfile --build-arg PACKAGE=parley-chat --build-arg MODULE=parley_chat .
FROM python:3.11-slim AS build
ARG PACKAGE
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY . .
RUN UV_PROJECT_ENVIRONMENT=/venv uv sync --frozen --no-dev --no-editable --package ${PACKAGE}

FROM python:3.11-slim
ARG MODULE
RUN useradd --system --uid 10001 --home-dir /app parley && mkdir -p /app/data && chown parley /app/data
COPY --from=build /venv /venv
USER parley
WORKDIR /app
ENV PATH=/venv/bin:$PATH MODULE=${MODULE}
CMD ["sh", "-c", "exec python -m \"$MODULE\""]
