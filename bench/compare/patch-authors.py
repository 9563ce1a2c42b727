"""Adds four switches to a copy of the authors' code, so a side by side (run.sh) runs their code at our
small sizes; with the variables unset the code behaves as released.

- MASKSCOPE_LR_DECAY=F (0 < F < 1): the base lr falls linearly to 0 over the last F of the -stop_after steps
  (our baseLrDecay; their code has only step schedules). scan-transformer small uses 0.5.
- MASKSCOPE_TEACHER_FORCING=P: the SCAN LSTM's chance of teacher forcing a training batch (theirs: 0.5;
  our small size: 1).
- MASKSCOPE_CNN_CHANNELS=a,b,c,d: the class-removal CNN's four widths (theirs are fixed at 32,64,128,256;
  our small size uses 8,16,32,64).
- MASKSCOPE_FASHION_MNIST=DIR: the class-removal task reads Fashion-MNIST's IDX files from DIR (the Debian
  package's /usr/share/datasets/fashion-mnist) in place of CIFAR-10, which this machine cannot download;
  1 × 28 × 28 images, the same seeded 20 % validation hold-out and per-channel normalisation as CIFAR-10.

usage: python3 bench/compare/patch-authors.py MODULES_HOME   (idempotent)
"""
import sys

home = sys.argv[1]


def patch(rel, old, new):
    path = f"{home}/{rel}"
    src = open(path).read()
    if new in src:
        return
    if old not in src:
        sys.exit(f"patch-authors: {rel} does not hold the expected code (another commit of their code?)")
    open(path, "w").write(src.replace(old, new, 1))


patch("tasks/task.py", """    def set_lr(self):
        self.set_linear_warmup(self.helper.state.iter, self.helper.opt.lr_warmup,
                               self.step_lr_scheduler.get(self.helper.state.iter))
""", """    def set_lr(self):
        lr = self.step_lr_scheduler.get(self.helper.state.iter)
        decay = float(os.environ.get("MASKSCOPE_LR_DECAY", "0"))
        if decay > 0:
            n = decay * self.helper.opt.stop_after
            into = self.helper.state.iter - (self.helper.opt.stop_after - n)
            if into >= 0:
                lr *= 1 - into / n
        self.set_linear_warmup(self.helper.state.iter, self.helper.opt.lr_warmup, lr)
""")

patch("interfaces/recurrent/encoder_decoder_interface.py", "import random\n", "import os\nimport random\n")
patch("interfaces/recurrent/encoder_decoder_interface.py",
      "teacher_forcing = self.model.training and random.random() < 0.5",
      "teacher_forcing = self.model.training and random.random() < float(os.environ.get('MASKSCOPE_TEACHER_FORCING', '0.5'))")

patch("models/conv.py", """        super().__init__()

        self.features = torch.nn.Sequential(
            Conv2d(in_channels, 32, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            Conv2d(32, 64, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            Conv2d(64, 128, 3, padding=1),
            torch.nn.Dropout(0.25 if dropout else 0.0),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            Conv2d(128, 256, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.5 if dropout else 0.0)
        )

        # Certain neurons play a crucial role

        self.out_layer = Linear(256, out_channels)
""", """        super().__init__()
        import os
        w = [int(c) for c in os.environ.get("MASKSCOPE_CNN_CHANNELS", "32,64,128,256").split(",")]

        self.features = torch.nn.Sequential(
            Conv2d(in_channels, w[0], 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            Conv2d(w[0], w[1], 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            Conv2d(w[1], w[2], 3, padding=1),
            torch.nn.Dropout(0.25 if dropout else 0.0),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            Conv2d(w[2], w[3], 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.5 if dropout else 0.0)
        )

        # Certain neurons play a crucial role

        self.out_layer = Linear(w[3], out_channels)
""")

patch("dataset/image/cifar.py", """class CIFAR100(CIFAR):""", '''class FashionMNIST(CIFAR):
    """Fashion-MNIST's IDX files from $MASKSCOPE_FASHION_MNIST, in CIFAR-10's place (patch-authors.py)."""
    class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
    n_classes = 10

    def check_if_downloaded(self, cache: str) -> bool:
        os.makedirs(cache, exist_ok=True)  # nothing to download; mean_std.pth is kept here
        return True

    def load_labels(self, cache: str):
        pass

    def load_data(self, cache_dir: str, set: str) -> ImageSet:
        import gzip
        prefix = os.path.join(os.environ["MASKSCOPE_FASHION_MNIST"], "t10k" if set == "test" else "train")
        with gzip.open(prefix + "-images-idx3-ubyte.gz") as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32)
        with gzip.open(prefix + "-labels-idx1-ubyte.gz") as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8).copy()
        return ImageSet(images, labels)


if os.environ.get("MASKSCOPE_FASHION_MNIST"):
    CIFAR10 = FashionMNIST


class CIFAR100(CIFAR):''')
