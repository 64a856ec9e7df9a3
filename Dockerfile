FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY auth auth
COPY schema schema
COPY resolvers resolvers
COPY loaders loaders
COPY web web
RUN pip install --no-cache-dir .
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
USER nobody
CMD ["sh", "-c", "analytics-gateway init-db && analytics-gateway serve"]
