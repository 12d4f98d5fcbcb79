"""Grad-CAM heat maps for a tumour / normal histopathology patch classifier (DenseNet-121).

The forward pass needs autograd: the class score is back-propagated to the last dense block.
No optimizer is involved and the weights are never updated.
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from torchvision.models import densenet121


class GradCAM:
    def __init__(self, model, layer):
        self.model = model
        self.activations = self.gradients = None
        layer.register_forward_hook(self._save_activation)
        layer.register_full_backward_hook(self._save_gradient)

    def _save_activation(self, module, inputs, output):
        self.activations = output

    def _save_gradient(self, module, grad_in, grad_out):
        self.gradients = grad_out[0]

    def __call__(self, x, target=None):
        self.model.zero_grad()
        logits = self.model(x)
        target = logits.argmax(1) if target is None else target
        logits.gather(1, target.view(-1, 1)).sum().backward()
        weights = self.gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.activations).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
        cam = cam / cam.amax(dim=(2, 3), keepdim=True).clamp_min(1e-8)
        return cam.squeeze(1).detach().cpu().numpy(), target.tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("patches", nargs="+")
    ap.add_argument("--weights", default="densenet121_camelyon.pt")
    args = ap.parse_args()
    model = densenet121(num_classes=2)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    cam = GradCAM(model, model.features.denseblock4)
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.70, 0.53, 0.69], [0.16, 0.20, 0.15])])
    batch = torch.stack([tfm(Image.open(p).convert("RGB")) for p in args.patches])
    heatmaps, classes = cam(batch)
    for path, hm, c in zip(args.patches, heatmaps, classes):
        np.save(path.rsplit(".", 1)[0] + "_cam.npy", hm)
        print(f"{path}: {'tumour' if c == 1 else 'normal'}")


if __name__ == "__main__":
    main()
