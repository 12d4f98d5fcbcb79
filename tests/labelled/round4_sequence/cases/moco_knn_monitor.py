"""MoCo v2 on CIFAR-10 (single GPU): momentum key encoder + negative queue, with a kNN
monitor on the query encoder every few epochs."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def cifar_resnet18(dim=128):
    net = torchvision.models.resnet18(num_classes=dim)
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    net.maxpool = nn.Identity()
    net.fc = nn.Sequential(nn.Linear(512, 512), nn.ReLU(inplace=True), nn.Linear(512, dim))
    return net


class MoCo(nn.Module):
    def __init__(self, dim=128, K=4096, m=0.99, T=0.1):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = cifar_resnet18(dim)
        self.encoder_k = copy.deepcopy(self.encoder_q)
        for p in self.encoder_k.parameters():
            p.requires_grad = False
        self.register_buffer("queue", F.normalize(torch.randn(dim, K), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for pq, pk in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            pk.data.mul_(self.m).add_(pq.data, alpha=1.0 - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        ptr = int(self.queue_ptr)
        self.queue[:, ptr:ptr + keys.size(0)] = keys.t()
        self.queue_ptr[0] = (ptr + keys.size(0)) % self.K

    def forward(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = F.normalize(self.encoder_k(im_k), dim=1)  # key encoder stays in train mode (batch-stat BN), as in MoCo
        l_pos = (q * k).sum(dim=1, keepdim=True)
        l_neg = q @ self.queue.clone().detach()
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        self._dequeue_and_enqueue(k)
        return logits, torch.zeros(logits.size(0), dtype=torch.long, device=logits.device)


def knn_monitor(model, memory_loader, test_loader, k=200, t=0.1, classes=10):
    model.eval()
    with torch.no_grad():
        bank, bank_labels = [], []
        for x, y in memory_loader:
            bank.append(F.normalize(model.encoder_q(x.cuda(non_blocking=True)), dim=1))
            bank_labels.append(y.cuda(non_blocking=True))
        bank, bank_labels = torch.cat(bank).t(), torch.cat(bank_labels)
        correct = total = 0
        for x, y in test_loader:
            feat = F.normalize(model.encoder_q(x.cuda(non_blocking=True)), dim=1)
            w, idx = (feat @ bank).topk(k, dim=-1)
            votes = F.one_hot(bank_labels[idx], classes) * (w / t).exp().unsqueeze(-1)
            pred = votes.sum(1).argmax(-1)
            correct += (pred.cpu() == y).sum().item()
            total += y.size(0)
    return 100.0 * correct / total


def main(train_loader, memory_loader, test_loader, epochs=200, knn_every=5):
    model = MoCo().cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.06, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    model.train()
    for epoch in range(epochs):
        total_loss = 0.0
        for (im_q, im_k), _ in train_loader:
            logits, labels = model(im_q.cuda(non_blocking=True), im_k.cuda(non_blocking=True))
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
        scheduler.step()
        print(f"epoch {epoch}: loss {total_loss / len(train_loader):.4f}")
        if epoch % knn_every == 0:
            print(f"  kNN acc {knn_monitor(model, memory_loader, test_loader):.2f}")
    torch.save(model.encoder_q.state_dict(), "moco_r18_query.pt")
