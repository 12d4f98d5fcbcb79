"""Video action recognition: a frozen ImageNet EfficientNet encodes frames, a GRU head classifies clips.

The encoder is frozen and kept in eval mode by the train() override, so its BatchNorm
statistics stay those of the pretrained weights.
"""
import torch
import torch.nn as nn
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0


class ClipClassifier(nn.Module):
    def __init__(self, n_classes, hidden=256):
        super().__init__()
        enc = efficientnet_b0(weights=EfficientNet_B0_Weights.IMAGENET1K_V1)
        self.encoder = nn.Sequential(enc.features, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.encoder.requires_grad_(False)
        self.temporal = nn.GRU(1280, hidden, num_layers=2, dropout=0.3, batch_first=True)
        self.classifier = nn.Sequential(nn.Dropout(0.4), nn.Linear(hidden, n_classes))

    def train(self, mode=True):
        super().train(mode)
        self.encoder.train(False)
        return self

    def forward(self, clips):
        b, t = clips.shape[:2]
        with torch.no_grad():
            feats = self.encoder(clips.flatten(0, 1)).view(b, t, -1)
        out, _ = self.temporal(feats)
        return self.classifier(out[:, -1])


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    for clips, labels in loader:
        logits = model(clips.to(device))
        correct += (logits.argmax(1).cpu() == labels).sum().item()
        total += labels.numel()
    return correct / total


def train(train_loader, val_loader, n_classes, epochs=20, device="cuda"):
    model = ClipClassifier(n_classes).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, 5e-4, total_steps=epochs * len(train_loader))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    best = 0.0
    for epoch in range(epochs):
        model.train()
        for clips, labels in train_loader:
            loss = criterion(model(clips.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        acc = evaluate(model, val_loader, device)
        print(f"epoch {epoch:02d} loss {loss.item():.3f} val acc {acc:.3f}")
        if acc > best:
            best = acc
            torch.save({k: v for k, v in model.state_dict().items() if not k.startswith("encoder.")}, "head.pt")
    return model, best
