"""SimpleBaseline-style 2-D pose estimation: ResNet-50 trunk + deconvolution head, on 2 GPUs."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import ResNet50_Weights, resnet50


class SimpleBaseline(nn.Module):
    def __init__(self, n_joints=17):
        super().__init__()
        trunk = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
        self.backbone = nn.Sequential(*list(trunk.children())[:-2])
        layers, cin = [], 2048
        for _ in range(3):
            layers += [nn.ConvTranspose2d(cin, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU(inplace=True)]
            cin = 256
        self.deconv = nn.Sequential(*layers)
        self.final = nn.Conv2d(256, n_joints, 1)

    def forward(self, x):
        return self.final(self.deconv(self.backbone(x)))


def make_optimizer(net, lr):
    # the trunk keeps its ImageNet weights; only the head is optimised
    return torch.optim.Adam([
        {"params": net.deconv.parameters()},
        {"params": net.final.parameters(), "lr": lr * 10},
    ], lr=lr)


def pck(pred, target, thr=0.5):
    b, j, h, w = pred.shape
    p = pred.flatten(2).argmax(-1)
    t = target.flatten(2).argmax(-1)
    dist = torch.stack([(p // w - t // w).float(), (p % w - t % w).float()], -1).norm(dim=-1)
    return (dist <= thr * h / 8).float().mean().item()


def evaluate(model, loader, device):
    model.eval()
    scores = []
    for img, heat in loader:
        pred = model(img.to(device))
        scores.append(pck(pred.cpu(), heat))
    return sum(scores) / len(scores)


def main(train_loader, val_loader, epochs=140, lr=1e-3):
    device = torch.device("cuda")
    model = nn.DataParallel(SimpleBaseline()).to(device)
    net = model.module
    optimizer = make_optimizer(net, lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[90, 120], gamma=0.1)
    for epoch in range(epochs):
        model.train()
        for img, heat in train_loader:
            loss = F.mse_loss(model(img.to(device)), heat.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.5f} val PCK {evaluate(net, val_loader, device):.4f}")
    torch.save(net.state_dict(), "simple_baseline_r50.pt")
