"""Read-only REST API for cameras, detections and trap photos, mounted by the project
under ``/api/vision/`` (``vision.api.urls``)."""
