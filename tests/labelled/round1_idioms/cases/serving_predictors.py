"""Prediction back-ends for a small image-classification web service.

Three interchangeable back-ends: an eager torchvision model, a TorchScript export and an
embedding model for near-duplicate search. Each one disables autograd with a decorator.
"""
import io

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import models, transforms

PREPROCESS = transforms.Compose([
    transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])


def load_image(raw: bytes) -> torch.Tensor:
    return PREPROCESS(Image.open(io.BytesIO(raw)).convert("RGB"))


class EagerBackend:
    def __init__(self, weights_path, labels, device="cpu"):
        self.labels = labels
        self.device = torch.device(device)
        net = models.mobilenet_v3_large(num_classes=len(labels))
        net.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
        self.net = net.eval().to(self.device)

    @torch.inference_mode()
    def predict(self, images, top_k=3):
        batch = torch.stack([load_image(b) for b in images]).to(self.device)
        probs = self.net(batch).softmax(-1)
        scores, idx = probs.topk(top_k, dim=-1)
        return [[(self.labels[i], float(s)) for s, i in zip(row_s, row_i)] for row_s, row_i in zip(scores, idx)]


class TorchScriptBackend:
    def __init__(self, path, labels, device="cpu"):
        self.labels = labels
        self.device = torch.device(device)
        self.module = torch.jit.load(path, map_location=self.device)

    @torch.no_grad()
    def predict(self, images, top_k=3):
        batch = torch.stack([load_image(b) for b in images]).to(self.device)
        probs = self.module(batch).softmax(-1)
        scores, idx = probs.topk(top_k, dim=-1)
        return [[(self.labels[i], float(s)) for s, i in zip(row_s, row_i)] for row_s, row_i in zip(scores, idx)]


class EmbeddingBackend:
    def __init__(self, device="cpu"):
        self.device = torch.device(device)
        trunk = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
        trunk.fc = torch.nn.Identity()
        trunk.eval()
        self.trunk = trunk.to(self.device)
        self.index = torch.empty(0, 2048)
        self.keys = []

    @torch.no_grad
    def embed(self, images):
        batch = torch.stack([load_image(b) for b in images]).to(self.device)
        return F.normalize(self.trunk(batch), dim=-1).cpu()

    def add(self, keys, images):
        self.index = torch.cat([self.index, self.embed(images)])
        self.keys.extend(keys)

    def nearest(self, image, k=5):
        sims = self.index @ self.embed([image])[0]
        top = sims.topk(min(k, len(self.keys)))
        return [(self.keys[i], float(s)) for s, i in zip(top.values, top.indices)]


BACKENDS = {"eager": EagerBackend, "torchscript": TorchScriptBackend}


def make_backend(kind, *args, **kwargs):
    return BACKENDS[kind](*args, **kwargs)
