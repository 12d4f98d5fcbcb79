"""DINO self-distillation with a ResNet-18 backbone: EMA teacher with output centering and
sharpening, multi-crop student, AMP. The teacher is a momentum copy of the student and, as in
the reference implementation, runs with batch statistics (train mode) during training."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class DINOHead(nn.Module):
    def __init__(self, in_dim=512, out_dim=4096, hidden=1024, bottleneck=256):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, bottleneck))
        self.last = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck, out_dim, bias=False))

    def forward(self, x):
        return self.last(F.normalize(self.mlp(x), dim=-1))


class MultiCropNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torchvision.models.resnet18()
        self.backbone.fc = nn.Identity()
        self.head = DINOHead()

    def forward(self, crops):
        return self.head(torch.cat([self.backbone(c) for c in crops]))


class DINOLoss(nn.Module):
    def __init__(self, out_dim=4096, t_student=0.1, t_teacher=0.04, center_m=0.9):
        super().__init__()
        self.ts, self.tt, self.m = t_student, t_teacher, center_m
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(self, s_out, t_out, n_global=2):
        s_chunks = (s_out / self.ts).chunk(s_out.size(0) // (t_out.size(0) // n_global))
        t_chunks = F.softmax((t_out - self.center) / self.tt, dim=-1).detach().chunk(n_global)
        loss, n = 0.0, 0
        for i, t in enumerate(t_chunks):
            for j, s in enumerate(s_chunks):
                if i != j:
                    loss = loss + (-t * F.log_softmax(s, dim=-1)).sum(-1).mean()
                    n += 1
        with torch.no_grad():
            self.center.mul_(self.m).add_(t_out.mean(0, keepdim=True), alpha=1 - self.m)
        return loss / n


@torch.no_grad()
def knn_eval(backbone, memory_loader, test_loader, k=20):
    was_training = backbone.training
    backbone.eval()
    bank = torch.cat([F.normalize(backbone(x.cuda()), dim=1) for x, _ in memory_loader])
    bank_y = torch.cat([y for _, y in memory_loader]).cuda()
    correct = total = 0
    for x, y in test_loader:
        sim, idx = (F.normalize(backbone(x.cuda()), dim=1) @ bank.t()).topk(k)
        pred = torch.mode(bank_y[idx], dim=1).values
        correct += (pred.cpu() == y).sum().item()
        total += y.numel()
    backbone.train(was_training)
    return correct / total


def main(loader, memory_loader, test_loader, epochs=100, momentum=0.996):
    student = MultiCropNet().cuda()
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.requires_grad = False
    criterion = DINOLoss().cuda()
    optimizer = torch.optim.AdamW(student.parameters(), lr=5e-4, weight_decay=0.04)
    scaler = torch.cuda.amp.GradScaler()
    for epoch in range(epochs):
        student.train()
        teacher.train()
        for crops, _ in loader:
            crops = [c.cuda(non_blocking=True) for c in crops]
            with torch.autocast("cuda", dtype=torch.float16):
                with torch.no_grad():
                    t_out = teacher(crops[:2])
                loss = criterion(student(crops), t_out)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            with torch.no_grad():
                for ps, pt in zip(student.parameters(), teacher.parameters()):
                    pt.mul_(momentum).add_(ps.detach(), alpha=1 - momentum)
        acc = knn_eval(teacher.backbone, memory_loader, test_loader)
        print(f"epoch {epoch}: loss {loss.item():.4f} teacher kNN {acc:.4f}")
    torch.save(teacher.backbone.state_dict(), "dino_teacher_r18.pt")
