"""Bird-species classifier: frozen EfficientNet-B0 features, trainable head, Trainer-style class."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import EfficientNet_B0_Weights, efficientnet_b0


class SpeciesNet(nn.Module):
    def __init__(self, n_species):
        super().__init__()
        self.backbone = efficientnet_b0(weights=EfficientNet_B0_Weights.IMAGENET1K_V1).features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(1280, n_species))

    def forward(self, x):
        return self.head(self.pool(self.backbone(x)))


class FineTuner:
    def __init__(self, model, device="cuda", lr=3e-3):
        self.device = device
        self.model = model.to(device)
        self.model.backbone.requires_grad_(False)
        self.model.backbone.eval()  # keep the ImageNet BatchNorm statistics
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.05)

    def train_epoch(self, loader):
        net = self.model
        net.train()
        total = 0.0
        for x, y in loader:
            loss = F.cross_entropy(net(x.to(self.device)), y.to(self.device), label_smoothing=0.1)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        correct = 0
        for x, y in loader:
            correct += (self.model(x.to(self.device)).argmax(1).cpu() == y).sum().item()
        return correct / len(loader.dataset)

    def fit(self, train_loader, val_loader, epochs=15):
        for epoch in range(epochs):
            loss = self.train_epoch(train_loader)
            print(f"epoch {epoch}: loss {loss:.4f} val acc {self.evaluate(val_loader):.4f}")
        torch.save(self.model.head.state_dict(), "species_head.pt")
