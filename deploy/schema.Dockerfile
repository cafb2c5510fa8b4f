# The one-off schema step (Cassandra keyspaces and tables, MongoDB indexes).
# Build from the repository root: docker build -f deploy/schema.Dockerfile .
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY . .
RUN UV_PROJECT_ENVIRONMENT=/venv uv sync --frozen --no-dev --no-editable --package parley-stack

FROM python:3.11-slim
RUN useradd --system --uid 10001 parley
COPY --from=build /venv /venv
USER parley
ENV PATH=/venv/bin:$PATH
CMD ["python", "-m", "parley_stack.schema"]
