"""Model definition for mmWave radar gesture recognition from range-Doppler map sequences.

The size of the flattened CNN features is found with a dummy forward pass at construction time.
"""
import torch
import torch.nn as nn

GESTURES = ["swipe_left", "swipe_right", "push", "pull", "circle_cw", "circle_ccw", "tap", "none"]


class FrameEncoder(nn.Module):
    def __init__(self, in_ch=2):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(in_ch, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )

    def forward(self, x):
        return self.conv(x).flatten(1)


class GestureNet(nn.Module):
    def __init__(self, range_bins=64, doppler_bins=32, hidden=128, n_classes=len(GESTURES)):
        super().__init__()
        self.encoder = FrameEncoder()
        self.eval()
        with torch.no_grad():
            feat_dim = self.encoder(torch.zeros(1, 2, range_bins, doppler_bins)).shape[1]
        self.train()
        self.temporal = nn.GRU(feat_dim, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(0.3)
        self.cls = nn.Linear(2 * hidden, n_classes)

    def forward(self, seq):                               # seq: (B, T, 2, R, D)
        b, t = seq.shape[:2]
        f = self.encoder(seq.flatten(0, 1)).view(b, t, -1)
        h, _ = self.temporal(f)
        return self.cls(self.drop(h.mean(1)))


if __name__ == "__main__":
    net = GestureNet()
    print(sum(p.numel() for p in net.parameters()), "parameters")
    net.eval()
    with torch.no_grad():
        logits = net(torch.randn(4, 20, 2, 64, 32))
    print(logits.shape, [GESTURES[i] for i in logits.argmax(1).tolist()])
