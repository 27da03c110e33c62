# One image for every application process (web, workers, bridge, vision, simulator).
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
# CPU build of PyTorch unless TORCH_INDEX_URL points at a CUDA index.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install torch torchvision --index-url "$TORCH_INDEX_URL"
COPY . .
RUN pip install .
EXPOSE 8000
CMD ["uvicorn", "agrimon.asgi:application", "--host", "0.0.0.0", "--port", "8000"]
