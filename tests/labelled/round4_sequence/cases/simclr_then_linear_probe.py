"""SimCLR pre-training of a ResNet-18 on STL-10 unlabeled images (AMP), followed by the
standard linear-probe protocol on the labeled split."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

device = "cuda"


class SimCLR(nn.Module):
    def __init__(self, proj_dim=128):
        super().__init__()
        self.encoder = torchvision.models.resnet18(num_classes=10)
        self.encoder.fc = nn.Identity()
        self.projector = nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, proj_dim))

    def forward(self, x):
        return self.projector(self.encoder(x))


def nt_xent(z1, z2, tau=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / tau
    sim.fill_diagonal_(float("-inf"))
    n = z1.size(0)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


class LinearProbe(nn.Module):
    def __init__(self, encoder, feat_dim=512, num_classes=10):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(feat_dim, num_classes)

    def forward(self, x):
        with torch.no_grad():
            h = self.encoder(x)
        return self.head(h)


def pretrain(model, loader, epochs=200):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=1e-6)
    scaler = torch.cuda.amp.GradScaler()
    for epoch in range(epochs):
        model.train()
        for (x1, x2), _ in loader:
            with torch.autocast("cuda", dtype=torch.float16):
                loss = nt_xent(model(x1.to(device)), model(x2.to(device)))
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        print(f"pretrain epoch {epoch}: nt-xent {loss.item():.4f}")


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
            total += y.numel()
    return correct / total


def linear_probe(encoder, train_loader, test_loader, epochs=100):
    probe = LinearProbe(encoder).to(device)
    probe.encoder.requires_grad_(False)
    opt = torch.optim.SGD(probe.head.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for epoch in range(epochs):
        probe.train()
        for x, y in train_loader:
            loss = F.cross_entropy(probe(x.to(device)), y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if epoch % 10 == 9:
            print(f"probe epoch {epoch}: test acc {accuracy(probe, test_loader):.4f}")
    return accuracy(probe, test_loader)


def main(unlabeled_loader, train_loader, test_loader):
    simclr = SimCLR().to(device)
    pretrain(simclr, unlabeled_loader)
    torch.save(simclr.encoder.state_dict(), "simclr_r18.pt")
    print("final linear-probe acc", linear_probe(simclr.encoder, train_loader, test_loader))
