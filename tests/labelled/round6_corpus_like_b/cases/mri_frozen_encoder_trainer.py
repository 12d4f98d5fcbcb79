"""Alzheimer's vs. control classification on T1 MRI volumes with a pretrained 3-D encoder.

The encoder comes from a self-supervised run; only the classifier head is trained.
"""
import torch
import torch.nn as nn


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv3d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


class Encoder3D(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.layers = nn.Sequential(
            conv_bn(1, width, 2), conv_bn(width, width),
            conv_bn(width, 2 * width, 2), conv_bn(2 * width, 2 * width),
            conv_bn(2 * width, 4 * width, 2), nn.AdaptiveAvgPool3d(1), nn.Flatten(),
        )
        self.out_dim = 4 * width

    def forward(self, x):
        return self.layers(x)


def set_bn_eval(m):
    if isinstance(m, nn.BatchNorm3d):
        m.eval()


class ProbeTrainer:
    def __init__(self, encoder_ckpt, device="cuda", lr=3e-4):
        encoder = Encoder3D()
        encoder.load_state_dict(torch.load(encoder_ckpt, map_location="cpu"))
        encoder.requires_grad_(False)
        encoder.apply(set_bn_eval)  # keep the pretrained statistics
        head = nn.Sequential(nn.Dropout(0.3), nn.Linear(encoder.out_dim, 2))
        self.model = nn.Sequential(encoder, head).to(device)
        self.device = device
        self.optimizer = torch.optim.Adam(head.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.5], device=device))

    def train_epoch(self, loader):
        self.model.train()
        total = 0.0
        for vol, label in loader:
            loss = self.criterion(self.model(vol.to(self.device)), label.to(self.device))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)

    @torch.no_grad()
    def validate(self, loader):
        self.model.eval()
        tp = tn = pos = neg = 0
        for vol, label in loader:
            pred = self.model(vol.to(self.device)).argmax(1).cpu()
            tp += ((pred == 1) & (label == 1)).sum().item()
            tn += ((pred == 0) & (label == 0)).sum().item()
            pos += (label == 1).sum().item()
            neg += (label == 0).sum().item()
        return 0.5 * (tp / max(pos, 1) + tn / max(neg, 1))

    def fit(self, train_loader, val_loader, epochs=30):
        for epoch in range(epochs):
            loss = self.train_epoch(train_loader)
            bacc = self.validate(val_loader)
            print(f"epoch {epoch}: loss {loss:.4f} balanced acc {bacc:.4f}")


if __name__ == "__main__":
    trainer = ProbeTrainer("ssl_encoder3d.pt", device="cuda" if torch.cuda.is_available() else "cpu")
    tr = torch.utils.data.DataLoader(torch.load("adni_train.pt"), batch_size=8, shuffle=True)
    va = torch.utils.data.DataLoader(torch.load("adni_val.pt"), batch_size=8)
    trainer.fit(tr, va)
