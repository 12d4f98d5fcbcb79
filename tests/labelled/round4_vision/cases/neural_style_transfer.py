"""Gatys-style neural style transfer: a frozen VGG-19 scores the image, L-BFGS optimises the pixels.

Gradients flow into the *input image*; the network itself is never updated.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from torchvision.models import VGG19_Weights, vgg19
from torchvision.utils import save_image

CONTENT_LAYERS = (22,)              # relu4_2
STYLE_LAYERS = (1, 6, 11, 20, 29)   # relu1_1 ... relu5_1


class VGGFeatures(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.body = vgg19(weights=VGG19_Weights.IMAGENET1K_V1).features[: max(layers) + 1]
        self.layers = set(layers)
        for i, m in enumerate(self.body):
            if isinstance(m, nn.MaxPool2d):
                self.body[i] = nn.AvgPool2d(2)       # smoother results, as in the paper
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        feats, h = {}, (x - self.mean) / self.std
        for i, layer in enumerate(self.body):
            h = layer(h)
            if i in self.layers:
                feats[i] = h
        return feats


def gram(f):
    b, c, h, w = f.shape
    f = f.view(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def load(path, size, device):
    tf = transforms.Compose([transforms.Resize(size), transforms.ToTensor()])
    return tf(Image.open(path).convert("RGB")).unsqueeze(0).to(device)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("content")
    ap.add_argument("style")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--style-weight", type=float, default=1e6)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    net = VGGFeatures(CONTENT_LAYERS + STYLE_LAYERS).to(device).eval()
    net.requires_grad_(False)
    content = load(args.content, args.size, device)
    style = F.interpolate(load(args.style, args.size, device), size=content.shape[-2:], mode="bilinear")

    with torch.no_grad():
        content_targets = {i: f for i, f in net(content).items() if i in CONTENT_LAYERS}
        style_targets = {i: gram(f) for i, f in net(style).items() if i in STYLE_LAYERS}

    image = content.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([image], max_iter=args.steps, history_size=50)
    step = [0]

    def closure():
        with torch.no_grad():
            image.clamp_(0, 1)
        optimizer.zero_grad()
        feats = net(image)
        c_loss = sum(F.mse_loss(feats[i], content_targets[i]) for i in CONTENT_LAYERS)
        s_loss = sum(F.mse_loss(gram(feats[i]), style_targets[i]) for i in STYLE_LAYERS)
        loss = c_loss + args.style_weight * s_loss
        loss.backward()
        step[0] += 1
        if step[0] % 50 == 0:
            print(f"step {step[0]}: content {c_loss.item():.4f} style {s_loss.item():.6f}")
        return loss

    optimizer.step(closure)
    save_image(image.detach().clamp(0, 1), "stylized.png")


if __name__ == "__main__":
    main()
