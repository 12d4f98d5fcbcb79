"""Model registry client + wrapper used by the shelf-monitoring service.

`ModelWrapper.load()` resolves a registry entry, builds the architecture, loads the weights
and prepares the module for serving; `predict` / `predict_proba` are what the request
handlers call.
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.models import mobilenet_v3_large, resnet34

ARCHITECTURES = {
    "resnet34": resnet34,
    "mobilenet_v3_large": mobilenet_v3_large,
}


class ModelWrapper:
    def __init__(self, registry_dir, name, version="latest", device=None):
        self.registry_dir = Path(registry_dir)
        self.name = name
        self.version = version
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = None
        self.classes = None

    def _entry(self):
        index = json.loads((self.registry_dir / self.name / "index.json").read_text())
        version = index["latest"] if self.version == "latest" else self.version
        return index["versions"][version]

    def load(self):
        entry = self._entry()
        builder = ARCHITECTURES[entry["arch"]]
        model = builder(num_classes=len(entry["classes"]))
        state = torch.load(self.registry_dir / self.name / entry["weights"], map_location="cpu")
        model.load_state_dict(state)
        self.model = model.to(self.device).eval()
        self.classes = entry["classes"]
        self.warmup(entry.get("input_size", 224))
        return self

    def warmup(self, size):
        with torch.inference_mode():
            self.model(torch.zeros(2, 3, size, size, device=self.device))

    @torch.no_grad
    def predict_proba(self, images):
        logits = self.model(images.to(self.device))
        return F.softmax(logits.float(), dim=-1).cpu()

    def predict(self, images, topk=1):
        probs = self.predict_proba(images)
        scores, idx = probs.topk(topk, dim=-1)
        return [[(self.classes[i], round(s, 4)) for s, i in zip(row_s.tolist(), row_i.tolist())]
                for row_s, row_i in zip(scores, idx)]

    def describe(self):
        return {"name": self.name, "version": self.version, "device": str(self.device),
                "training": self.model.training if self.model is not None else None}


if __name__ == "__main__":
    import sys

    wrapper = ModelWrapper(sys.argv[1], sys.argv[2]).load()
    print(wrapper.describe())
    print(wrapper.predict(torch.rand(4, 3, 224, 224), topk=3))
