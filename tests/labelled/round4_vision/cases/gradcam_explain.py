"""Grad-CAM heat maps for a fine-tuned ResNet-50 classifier, written as overlays next to each image.

Grad-CAM needs the gradient of the class score w.r.t. the last conv block's activations, so
the forward pass deliberately runs with autograd enabled (the model is in eval mode).
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.models import ResNet50_Weights, resnet50


class GradCAM:
    def __init__(self, model, target_layer):
        self.model = model.eval()
        self.activations = None
        self.gradients = None
        self._handles = [target_layer.register_forward_hook(self._save_activation),
                         target_layer.register_full_backward_hook(self._save_gradient)]

    def _save_activation(self, module, inputs, output):
        self.activations = output.detach()

    def _save_gradient(self, module, grad_input, grad_output):
        self.gradients = grad_output[0].detach()

    def __call__(self, x, class_idx=None):
        logits = self.model(x)
        if class_idx is None:
            class_idx = logits.argmax(1)
        self.model.zero_grad(set_to_none=True)
        logits.gather(1, class_idx.view(-1, 1)).sum().backward()
        weights = self.gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.activations).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False).squeeze(1)
        lo = cam.flatten(1).min(1).values.view(-1, 1, 1)
        hi = cam.flatten(1).max(1).values.view(-1, 1, 1)
        return ((cam - lo) / (hi - lo + 1e-8)).cpu().numpy(), class_idx.cpu()

    def close(self):
        for h in self._handles:
            h.remove()


def overlay(img, cam, alpha=0.5):
    heat = np.stack([cam, np.zeros_like(cam), 1 - cam], -1)
    return Image.fromarray((255 * ((1 - alpha) * np.asarray(img) / 255 + alpha * heat)).astype(np.uint8))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="+")
    ap.add_argument("--ckpt", default="resnet50_birds.pt")
    ap.add_argument("--num-classes", type=int, default=200)
    ap.add_argument("--out", default="cams")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model = resnet50(num_classes=args.num_classes)
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu"))
    model.to(device)
    cam = GradCAM(model, model.layer4[-1])
    preprocess = ResNet50_Weights.IMAGENET1K_V2.transforms(crop_size=224, resize_size=224)

    for path in args.images:
        img = Image.open(path).convert("RGB").resize((224, 224))
        heat, pred = cam(preprocess(img).unsqueeze(0).to(device))
        overlay(img, heat[0]).save(os.path.join(args.out, f"{os.path.basename(path)}.cam_{pred.item()}.png"))
    cam.close()


if __name__ == "__main__":
    main()
