"""Dump 256-d embeddings of a self-supervised conv encoder for a downstream k-NN evaluation.

The encoder is loaded once, put in eval mode and frozen (requires_grad=False on every parameter),
so its forward passes record no autograd graph.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvEncoder(nn.Module):
    def __init__(self, dim=256):
        super().__init__()
        chans = [3, 64, 128, 256, 256]
        layers = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)
        self.proj = nn.Linear(256, dim)

    def forward(self, x):
        return nn.functional.normalize(self.proj(self.body(x).mean((2, 3))), dim=1)


def load_encoder(path):
    enc = ConvEncoder()
    enc.load_state_dict(torch.load(path, map_location="cpu"))
    enc.eval()
    enc.requires_grad_(False)
    return enc


def dump_features(encoder, loader, out_path):
    feats, labels = [], []
    for x, y in loader:
        feats.append(encoder(x).numpy())
        labels.append(y.numpy())
    np.savez(out_path, feats=np.concatenate(feats), labels=np.concatenate(labels))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="simclr_encoder.pt")
    ap.add_argument("--split", default="test")
    args = ap.parse_args()
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    ds = datasets.CIFAR10("data", train=args.split == "train", download=True, transform=tf)
    dump_features(load_encoder(args.ckpt), DataLoader(ds, batch_size=512), f"cifar10_{args.split}_feats.npz")
