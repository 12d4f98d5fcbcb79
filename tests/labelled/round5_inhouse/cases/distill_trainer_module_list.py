"""Knowledge distillation trainer: ResNet-50 teacher (fine-tuned, frozen) -> ResNet-18 student."""
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.models import resnet18, resnet50


def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.7):
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=-1), F.softmax(teacher_logits / T, dim=-1),
                    reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)


class DistillTrainer:
    def __init__(self, teacher_ckpt, num_classes=100, lr=0.05, device="cuda"):
        self.device = device
        teacher = resnet50(num_classes=num_classes)
        teacher.load_state_dict(torch.load(teacher_ckpt, map_location="cpu"))
        teacher.requires_grad_(False)
        self.teacher = teacher
        self.student = resnet18(num_classes=num_classes)
        self.nets = [self.student, self.teacher]
        for net in self.nets:
            net.to(device)
        self.opt = torch.optim.SGD(self.student.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)

    def train_epoch(self, loader):
        for net in self.nets:
            net.train()
        for images, labels in loader:
            images, labels = images.to(self.device), labels.to(self.device)
            with torch.no_grad():
                t_logits = self.teacher(images)
            s_logits = self.student(images)
            loss = kd_loss(s_logits, t_logits, labels)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return loss.item()

    @torch.no_grad()
    def evaluate(self, loader):
        self.student.eval()
        correct = total = 0
        for images, labels in loader:
            pred = self.student(images.to(self.device)).argmax(1).cpu()
            correct += (pred == labels).sum().item()
            total += labels.numel()
        return correct / max(total, 1)

    def fit(self, train_loader, val_loader, epochs=200):
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs)
        for epoch in range(epochs):
            loss = self.train_epoch(train_loader)
            sched.step()
            print(f"epoch {epoch}: kd loss {loss:.4f} student top-1 {self.evaluate(val_loader):.4f}")
        torch.save(self.student.state_dict(), "student_r18.pt")


if __name__ == "__main__":
    norm = transforms.Normalize((0.507, 0.487, 0.441), (0.267, 0.256, 0.276))
    train_tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), norm])
    test_tf = transforms.Compose([transforms.ToTensor(), norm])
    train_set = datasets.CIFAR100("data", train=True, download=True, transform=train_tf)
    val_set = datasets.CIFAR100("data", train=False, download=True, transform=test_tf)
    trainer = DistillTrainer("teacher_r50_cifar100.pt")
    trainer.fit(DataLoader(train_set, batch_size=128, shuffle=True, num_workers=4),
                DataLoader(val_set, batch_size=256, num_workers=4))
