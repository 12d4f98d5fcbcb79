"""Grad-CAM heatmaps for a fine-tuned ResNet-50 (for the error-analysis report).

Gradients of the class score w.r.t. the last conv stage are needed, so the forward pass
runs with autograd enabled; no weights are updated.
"""
import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.models import resnet50
from torchvision.transforms import functional as TF


class GradCAM:
    def __init__(self, model, layer):
        self.model = model
        self.acts = self.grads = None
        layer.register_forward_hook(self._save)

    def _save(self, module, inputs, output):
        self.acts = output
        output.register_hook(lambda g: setattr(self, "grads", g))

    def __call__(self, x, class_idx=None):
        logits = self.model(x)
        if class_idx is None:
            class_idx = int(logits.argmax(1))
        self.model.zero_grad()
        logits[0, class_idx].backward()
        weights = self.grads.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.acts).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
        cam = (cam - cam.min()) / (cam.max() - cam.min() + 1e-8)
        return cam.detach().cpu().numpy(), class_idx, logits.softmax(1)[0, class_idx].item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="+", type=Path)
    ap.add_argument("--weights", default="resnet50_birds.pt")
    ap.add_argument("--classes", type=int, default=200)
    args = ap.parse_args()

    model = resnet50(num_classes=args.classes)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    model.requires_grad_(False)
    model.layer4.requires_grad_(True)
    cam = GradCAM(model, model.layer4)
    for path in args.images:
        img = Image.open(path).convert("RGB").resize((224, 224))
        x = TF.normalize(TF.to_tensor(img), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).unsqueeze(0)
        heat, cls, prob = cam(x)
        overlay = (0.5 * np.asarray(img) / 255.0 + 0.5 * heat[..., None] * np.array([1.0, 0.0, 0.0]))
        Image.fromarray((overlay.clip(0, 1) * 255).astype(np.uint8)).save(path.with_suffix(".cam.png"))
        print(f"{path.name}: class {cls} p={prob:.3f}")


if __name__ == "__main__":
    main()
