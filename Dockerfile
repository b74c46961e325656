# syntax=docker/dockerfile:1
# One image for every Qudao process:
#   web:        qudao serve --host 0.0.0.0 --port 8000   (default command)
#   worker:     qudao worker
#   migrations: qudao db upgrade
#
#   docker build -t qudao/qudao:dev .
#   docker run --rm -p 8000:8000 qudao/qudao:dev          # embedded SQLite default
#   docker run --rm -e QUDAO_DATABASE_URL=... qudao/qudao:dev db upgrade

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: install the app and its dependencies into a virtualenv ----------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, from pyproject.toml alone, so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --upgrade pip setuptools wheel \
 && pip install -r /tmp/requirements.txt

# Then the application itself (a regular, non-editable install).
COPY . .
RUN pip install --no-deps . \
 && python -m compileall -q /opt/venv/lib

# ---- runtime -----------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# tini reaps zombies and forwards SIGTERM to the app (PID 1 ignores it otherwise).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 qudao \
 && useradd --system --uid 10001 --gid qudao --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin qudao \
 && mkdir -p /app/var \
 && chown -R 10001:10001 /app

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    QUDAO_VAR_DIR=/app/var

WORKDIR /app
USER 10001:10001
EXPOSE 8000

ENTRYPOINT ["tini", "--", "qudao"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
