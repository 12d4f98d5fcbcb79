"""Licence-plate OCR: CRNN (conv + BiLSTM + CTC) inference over a folder of plate crops."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision.transforms import functional as TF

ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


class CRNN(nn.Module):
    def __init__(self, n_classes=len(ALPHABET) + 1, hidden=128, p=0.25):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, 1, 1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(128, 256, 3, 1, 1), nn.BatchNorm2d(256), nn.ReLU(), nn.MaxPool2d((2, 1)),
        )
        self.rnn = nn.LSTM(256 * 4, hidden, num_layers=2, bidirectional=True, dropout=p, batch_first=True)
        self.fc = nn.Linear(2 * hidden, n_classes)
        self.p = p

    def forward(self, x):  # x: (B, 1, 32, W)
        f = self.cnn(x)
        b, c, h, w = f.shape
        seq = f.permute(0, 3, 1, 2).reshape(b, w, c * h)
        seq = F.dropout(seq, self.p)
        out, _ = self.rnn(seq)
        return self.fc(out).log_softmax(-1)


def build_crnn():
    return CRNN()


def load_model(path, device):
    model = build_crnn()
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"] if "model" in state else state)
    return model.to(device)


def greedy_decode(log_probs):
    best = log_probs.argmax(-1).tolist()
    chars, prev = [], None
    for k in best:
        if k != prev and k != 0:
            chars.append(ALPHABET[k - 1])
        prev = k
    return "".join(chars)


@torch.inference_mode()
def transcribe(model, paths, device):
    results = {}
    for p in paths:
        img = Image.open(p).convert("L").resize((128, 32))
        x = TF.to_tensor(img).unsqueeze(0).to(device)
        results[p.name] = greedy_decode(model(x)[0])
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crops", type=Path)
    ap.add_argument("--weights", default="crnn_plates.pt")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(args.weights, device)
    for name, text in transcribe(model, sorted(args.crops.glob("*.png")), device).items():
        print(f"{name}\t{text}")


if __name__ == "__main__":
    main()
