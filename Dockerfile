FROM python:3.11-slim
WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes, not on every code edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt

# The gateway itself (.dockerignore keeps out the venv, local stores and their secrets, tests).
COPY . .
RUN pip install --no-cache-dir --no-deps . && rm -rf build *.egg-info

ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
USER nobody
# Exec form, no shell: the gateway is PID 1 and gets SIGTERM itself; it stops accepting,
# lets requests under way finish (SHUTDOWN_TIMEOUT, 25 s) and exits 0. The tables are
# created by the one-shot `init-db` service of docker-compose.yml (or `docker run IMAGE init-db`).
ENTRYPOINT ["analytics-gateway"]
CMD ["serve"]
