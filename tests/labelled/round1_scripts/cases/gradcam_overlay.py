"""Grad-CAM heatmaps for a fine-tuned ResNet-50 (explainability report for a QA review).
The forward pass must record gradients: the class score is back-propagated to layer4."""
import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from torchvision.models import resnet50


class GradCAM:
    def __init__(self, model, layer):
        self.model = model
        self.acts = self.grads = None
        layer.register_forward_hook(self._save_acts)
        layer.register_full_backward_hook(self._save_grads)

    def _save_acts(self, module, inputs, output):
        self.acts = output.detach()

    def _save_grads(self, module, grad_in, grad_out):
        self.grads = grad_out[0].detach()

    def __call__(self, x, class_idx=None):
        self.model.zero_grad(set_to_none=True)
        logits = self.model(x)
        if class_idx is None:
            class_idx = logits.argmax(dim=1)
        logits.gather(1, class_idx.view(-1, 1)).sum().backward()
        weights = self.grads.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.acts).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
        cam = cam - cam.amin(dim=(2, 3), keepdim=True)
        cam = cam / cam.amax(dim=(2, 3), keepdim=True).clamp(min=1e-8)
        return cam.squeeze(1).cpu().numpy(), class_idx.tolist(), logits.softmax(1).max(1).values.tolist()


def overlay(img, cam, alpha=0.45):
    heat = np.stack([cam, np.zeros_like(cam), 1.0 - cam], axis=-1)
    base = np.asarray(img.resize(cam.shape[::-1]), dtype=np.float32) / 255.0
    return Image.fromarray(np.uint8(255 * ((1 - alpha) * base + alpha * heat)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("images", nargs="+")
    ap.add_argument("--classes", type=int, default=12)
    ap.add_argument("--out", default="cams")
    args = ap.parse_args()

    model = resnet50(num_classes=args.classes)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    cam = GradCAM(model, model.layer4)
    tfm = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                              transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    Path(args.out).mkdir(exist_ok=True)
    for path in args.images:
        img = Image.open(path).convert("RGB")
        heat, cls, conf = cam(tfm(img).unsqueeze(0))
        overlay(img.resize((224, 224)), heat[0]).save(Path(args.out) / f"{Path(path).stem}_cam.png")
        print(f"{path}: class {cls[0]} (p={conf[0]:.3f})")


if __name__ == "__main__":
    main()
