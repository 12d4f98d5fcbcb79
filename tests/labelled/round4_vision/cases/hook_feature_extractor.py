"""Dump multi-scale ResNet-50 features (layer2/3/4, global-average-pooled) for a retrieval index.

Features are captured with forward hooks, so the classifier output itself is thrown away.
"""
import argparse
from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import datasets
from torchvision.models import ResNet50_Weights, resnet50


class HookedFeatures:
    def __init__(self, model, layer_names):
        self.features = {}
        modules = dict(model.named_modules())
        self.handles = [modules[name].register_forward_hook(self._make_hook(name)) for name in layer_names]

    def _make_hook(self, name):
        def hook(module, inputs, output):
            pooled = F.adaptive_avg_pool2d(output, 1).flatten(1)
            self.features[name] = F.normalize(pooled, dim=1).cpu()
        return hook

    def remove(self):
        for h in self.handles:
            h.remove()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default="data/gallery")
    ap.add_argument("--out", default="gallery_features.npz")
    ap.add_argument("--layers", nargs="+", default=["layer2", "layer3", "layer4"])
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    weights = ResNet50_Weights.IMAGENET1K_V2
    model = resnet50(weights=weights).to(device)
    dataset = datasets.ImageFolder(args.images, transform=weights.transforms())
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, num_workers=8)

    hooks = HookedFeatures(model, args.layers)
    collected = defaultdict(list)
    with torch.no_grad():
        for images, _ in loader:
            model(images.to(device, non_blocking=True))
            for name, feats in hooks.features.items():
                collected[name].append(feats)
    hooks.remove()

    arrays = {name: torch.cat(chunks).numpy() for name, chunks in collected.items()}
    arrays["paths"] = np.array([p for p, _ in dataset.samples])
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {len(dataset)} x {[a.shape[1] for k, a in arrays.items() if k != 'paths']} to {args.out}")


if __name__ == "__main__":
    main()
