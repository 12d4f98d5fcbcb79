"""Robustness report for a trained CIFAR-10 classifier: gradient saliency maps and PGD.

Both attribution and the attack need gradients with respect to the *input* while the
network is in eval mode; only the final accuracy numbers are computed without autograd.
"""
import torch
import torch.nn.functional as F
from torchvision.models import resnet18
from torchvision.utils import save_image

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)


def load_classifier(path, device):
    net = resnet18(num_classes=10)
    net.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = torch.nn.Identity()
    net.load_state_dict(torch.load(path, map_location="cpu"))
    net.eval()
    net.requires_grad_(False)
    return net.to(device)


def logits_of(model, x01):
    return model((x01 - MEAN.to(x01.device)) / STD.to(x01.device))


def saliency_maps(model, images, labels):
    x = images.clone().requires_grad_(True)
    scores = logits_of(model, x)
    scores.gather(1, labels[:, None]).sum().backward()
    sal = x.grad.abs().amax(1, keepdim=True)
    return sal / sal.flatten(1).amax(1).view(-1, 1, 1, 1).clamp_min(1e-8)


def pgd_attack(model, images, labels, eps=8 / 255, alpha=2 / 255, steps=10):
    x_adv = (images + torch.empty_like(images).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(logits_of(model, x_adv), labels)
        grad, = torch.autograd.grad(loss, [x_adv])
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, images - eps), images + eps).clamp(0, 1)
    return x_adv.detach()


def robustness_report(model, test_loader, device, max_batches=20):
    clean = robust = n = 0
    for i, (x, y) in enumerate(test_loader):
        if i == max_batches:
            break
        x, y = x.to(device), y.to(device)
        x_adv = pgd_attack(model, x, y)
        with torch.no_grad():
            clean += (logits_of(model, x).argmax(1) == y).sum().item()
            robust += (logits_of(model, x_adv).argmax(1) == y).sum().item()
        n += len(y)
    return clean / n, robust / n


def main(weights, test_loader):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_classifier(weights, device)
    images, labels = next(iter(test_loader))
    sal = saliency_maps(model, images[:16].to(device), labels[:16].to(device))
    save_image(torch.cat([images[:16].to(device), sal.expand(-1, 3, -1, -1)]), "saliency.png", nrow=16)
    clean_acc, robust_acc = robustness_report(model, test_loader, device)
    print(f"clean acc {clean_acc:.3f}  PGD-10 acc {robust_acc:.3f}")
