"""train -> SWA -> BatchNorm re-estimation -> evaluate -> export, for a CIFAR ResNet-20."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel
from torch.utils.data import DataLoader


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + self.short(x))


def resnet20(n_classes=10):
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(BasicBlock(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, n_classes)]
    return nn.Sequential(*layers)


def recalibrate_bn(model, loader):
    """Re-estimate BatchNorm running statistics for averaged weights (same idea as swa_utils.update_bn).

    The forward passes below exist only to refresh the running buffers; their outputs are discarded.
    """
    momenta = {}
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
            m.momentum = None
    was_training = model.training
    model.train()
    with torch.no_grad():
        for x, _ in loader:
            model(x)
    for m, momentum in momenta.items():
        m.momentum = momentum
    model.train(was_training)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    return correct / len(loader.dataset)


def main(epochs=160, swa_start=120):
    train_loader = DataLoader(torch.load("cifar10_train.pt"), batch_size=128, shuffle=True, drop_last=True)
    test_loader = DataLoader(torch.load("cifar10_test.pt"), batch_size=512)
    model = resnet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=swa_start)
    swa_model = AveragedModel(model)
    swa_sched = SWALR(opt, swa_lr=0.01)

    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch >= swa_start:
            swa_model.update_parameters(model)
            swa_sched.step()
        else:
            sched.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} test acc {evaluate(model, test_loader):.4f}")

    recalibrate_bn(swa_model, train_loader)
    print(f"SWA test acc {evaluate(swa_model, test_loader):.4f}")
    example = torch.randn(1, 3, 32, 32)
    traced = torch.jit.trace(swa_model.module, example)
    traced.save("resnet20_swa.ts")


if __name__ == "__main__":
    main()
