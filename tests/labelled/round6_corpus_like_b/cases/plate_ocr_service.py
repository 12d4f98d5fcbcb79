"""Licence-plate reader used by the gate-camera service: CRNN + greedy CTC decoding."""
import string

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

ALPHABET = string.digits + string.ascii_uppercase
BLANK = 0


class CRNN(nn.Module):
    def __init__(self, n_classes=len(ALPHABET) + 1, hidden=128):
        super().__init__()

        def block(cin, cout, pool):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                    nn.MaxPool2d(pool)]

        self.cnn = nn.Sequential(*block(1, 64, 2), *block(64, 128, 2), *block(128, 256, (2, 1)),
                                 *block(256, 256, (2, 1)))
        self.rnn = nn.LSTM(256 * 2, hidden, num_layers=2, bidirectional=True, dropout=0.2, batch_first=True)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, x):
        f = self.cnn(x)                       # (B, C, H', W')
        f = f.permute(0, 3, 1, 2).flatten(2)  # (B, W', C*H')
        out, _ = self.rnn(f)
        return self.fc(out)                   # (B, T, n_classes)


class PlateReader:
    def __init__(self, weights_path, device="cpu"):
        self.device = torch.device(device)
        self.model = CRNN()
        self.model.load_state_dict(torch.load(weights_path, map_location="cpu"))
        self.model.to(self.device)

    @staticmethod
    def preprocess(crop: Image.Image) -> torch.Tensor:
        img = crop.convert("L").resize((128, 32))
        arr = np.asarray(img, dtype=np.float32) / 255.0
        return torch.from_numpy((arr - 0.5) / 0.5)[None, None]

    @staticmethod
    def greedy_decode(ids):
        chars, prev = [], BLANK
        for i in ids:
            if i != prev and i != BLANK:
                chars.append(ALPHABET[i - 1])
            prev = i
        return "".join(chars)

    @torch.inference_mode()
    def read(self, crops):
        batch = torch.cat([self.preprocess(c) for c in crops]).to(self.device)
        best = self.model(batch).argmax(-1).cpu().tolist()
        return [self.greedy_decode(seq) for seq in best]


if __name__ == "__main__":
    import sys

    reader = PlateReader("crnn_plates.pt")
    print(reader.read([Image.open(p) for p in sys.argv[1:]]))
