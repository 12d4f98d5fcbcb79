"""Action recognition on short clips: fine-tune the last stage of a Kinetics-400 R(2+1)D-18."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.video import R2Plus1D_18_Weights, r2plus1d_18


class ActionTrainer:
    def __init__(self, num_classes, lr=5e-3, device="cuda"):
        self.device = device
        self.model = r2plus1d_18(weights=R2Plus1D_18_Weights.KINETICS400_V1)
        self.model.fc = nn.Linear(self.model.fc.in_features, num_classes)
        # stem and layers 1-3 transfer well from Kinetics; only layer4 and fc are tuned
        for name, param in self.model.named_parameters():
            if not name.startswith(("layer4.", "fc.")):
                param.requires_grad_(False)
        self.model.to(device)
        self.optimizer = torch.optim.SGD([p for p in self.model.parameters() if p.requires_grad],
                                         lr=lr, momentum=0.9, weight_decay=1e-4)

    def train_epoch(self, loader):
        self.model.train()
        total = 0.0
        for clips, labels in loader:  # clips: (B, C, T, H, W)
            clips, labels = clips.to(self.device), labels.to(self.device)
            loss = F.cross_entropy(self.model(clips), labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)

    @torch.no_grad()
    def validate(self, loader):
        self.model.eval()
        correct = n = 0
        for clips, labels in loader:
            correct += (self.model(clips.to(self.device)).argmax(1).cpu() == labels).sum().item()
            n += labels.numel()
        return correct / n

    def test(self, loader, clips_per_video):
        """Video-level accuracy: average the softmax of several clips per video."""
        self.model.eval()
        video_probs, video_labels = [], []
        for clips, label in loader:  # clips: (clips_per_video, C, T, H, W) for one video
            probs = self.model(clips.to(self.device)).softmax(-1).mean(0)
            video_probs.append(probs.cpu())
            video_labels.append(int(label))
        pred = torch.stack(video_probs).argmax(1)
        return (pred == torch.tensor(video_labels)).float().mean().item()

    def fit(self, train_loader, val_loader, test_loader, epochs=15):
        for epoch in range(epochs):
            loss = self.train_epoch(train_loader)
            print(f"epoch {epoch}: loss {loss:.4f} val clip acc {self.validate(val_loader):.4f}")
        print(f"test video acc {self.test(test_loader, clips_per_video=10):.4f}")
