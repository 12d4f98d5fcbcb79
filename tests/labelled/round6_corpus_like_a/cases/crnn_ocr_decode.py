"""Read licence-plate crops with a trained CRNN (conv + BiLSTM) and greedy CTC decoding."""
import argparse
from pathlib import Path

import torch
import torch.nn as nn
from PIL import Image
from torchvision.transforms import functional as TF

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class CRNN(nn.Module):
    def __init__(self, n_classes=len(ALPHABET) + 1, hidden=128):
        super().__init__()

        def conv(cin, cout, pool):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                                 nn.ReLU(inplace=True), nn.MaxPool2d(pool))

        self.cnn = nn.Sequential(conv(1, 64, (2, 2)), conv(64, 128, (2, 2)), conv(128, 256, (2, 1)),
                                 conv(256, 256, (4, 1)))
        self.rnn = nn.LSTM(256, hidden, num_layers=2, bidirectional=True, dropout=0.3, batch_first=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, x):
        f = self.cnn(x).squeeze(2).permute(0, 2, 1)  # (B, W, C)
        out, _ = self.rnn(f)
        return self.fc(out).log_softmax(-1)


def greedy_decode(log_probs):
    best = log_probs.argmax(-1).tolist()
    chars, prev = [], 0
    for idx in best:
        if idx != prev and idx != 0:
            chars.append(ALPHABET[idx - 1])
        prev = idx
    return "".join(chars)


def load_crop(path):
    img = Image.open(path).convert("L").resize((128, 32))
    return TF.normalize(TF.to_tensor(img), [0.5], [0.5]).unsqueeze(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("crops", type=Path)
    ap.add_argument("--weights", default="crnn_plates.pt")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = CRNN()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.to(device)

    for path in sorted(args.crops.glob("*.png")):
        with torch.inference_mode():
            log_probs = model(load_crop(path).to(device))[0]
        print(f"{path.name}\t{greedy_decode(log_probs.cpu())}")


if __name__ == "__main__":
    main()
