"""Ring buffer of measurements that could not be sent; the oldest is dropped when full."""

import json


class Backlog:
    def __init__(self, capacity=48):
        self.capacity = capacity
        self.items = []  # [measured_at_ms, readings, event], oldest first
        self.dropped = 0

    def __len__(self):
        return len(self.items)

    def push(self, measured_at_ms, readings, event=False):
        self.items.append([measured_at_ms, readings, event])
        while len(self.items) > self.capacity:
            self.items.pop(0)
            self.dropped += 1

    def peek(self):
        return self.items[0] if self.items else None

    def pop(self):
        return self.items.pop(0)

    def save(self, path):
        with open(path, "w") as f:
            json.dump({"items": self.items, "dropped": self.dropped}, f)

    def load(self, path):
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return
        self.items = doc.get("items", [])[-self.capacity :]
        self.dropped = doc.get("dropped", 0)
