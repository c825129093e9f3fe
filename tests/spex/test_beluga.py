import numpy as np
import pytest
import torch

from hicexpr.lib.errors import InputError
from hicexpr.spex.beluga import Beluga, BelugaProfiles, load_beluga, one_hot, reverse_complement

SMALL = {"channels": (8, 8, 8), "hidden": 16, "n_outputs": 5}


@pytest.fixture(scope="module")
def fasta(tmp_path_factory) -> str:
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("genome") / "genome.fa"
    seq = "".join(rng.choice(list("ACGT"), 20_000))
    path.write_text(">chr1\n" + "\n".join(seq[i:i + 60] for i in range(0, len(seq), 60)) + "\n")
    return str(path)


def _model(seed: int = 0) -> Beluga:
    torch.manual_seed(seed)
    return Beluga(**SMALL).eval()


def test_one_hot_and_reverse_complement():
    x = one_hot(["ACGTN"])
    assert x.shape == (1, 4, 5)
    np.testing.assert_array_equal(x[0, :, 0], [1, 0, 0, 0])
    np.testing.assert_array_equal(x[0, :, 4], [0.25] * 4)
    rc = reverse_complement(torch.from_numpy(one_hot(["AACG"])))
    np.testing.assert_array_equal(rc.numpy(), one_hot(["CGTT"]))


@pytest.mark.slow
def test_published_architecture_shapes():
    model = Beluga().eval()
    assert model.model[1][2]._modules["1"].in_features == 640 * 106
    with torch.inference_mode():
        out = model(torch.from_numpy(one_hot(["ACGT" * 500, "N" * 2000])))
    assert out.shape == (2, 2002) and float(out.min()) >= 0 and float(out.max()) <= 1


def test_strand_average_is_strand_symmetric(fasta):
    src = BelugaProfiles(_model(), fasta, average_rc=True, batch_size=3)
    seq = src.sequence("chr1", 5000)
    rc = seq[::-1].translate(str.maketrans("ACGT", "TGCA"))
    np.testing.assert_allclose(src.predict([seq]), src.predict([rc]), rtol=1e-5, atol=1e-6)
    fwd = BelugaProfiles(_model(), fasta, average_rc=False)
    assert not np.allclose(fwd.predict([seq]), fwd.predict([rc]))


def test_batching_padding_and_cache(fasta, tmp_path):
    src = BelugaProfiles(_model(), fasta, batch_size=2, cache_dir=tmp_path)
    centers = np.array([500, 3000, 7000, 3000, 19_900])
    out = src.windows("chr1", centers, 2000)
    assert out.shape == (5, 5) and src.n_predicted == 4  # duplicates predicted once
    np.testing.assert_array_equal(out[1], out[3])
    assert src.sequence("chr1", 500).startswith("N" * 500)  # padded before the start
    one = BelugaProfiles(_model(), fasta, batch_size=64).windows("chr1", centers[:3], 2000)
    np.testing.assert_allclose(out[:3], one, rtol=1e-5, atol=1e-6)  # batch size irrelevant
    again = BelugaProfiles(_model(), fasta, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.windows("chr1", centers, 2000), out)
    assert again.n_predicted == 0  # read from the disk cache
    other = BelugaProfiles(_model(seed=1), fasta, cache_dir=tmp_path)
    other.windows("chr1", centers[:1], 2000)
    assert other.n_predicted == 1  # other weights -> other cache key


def test_load_weights_with_conv2d_kernels(tmp_path):
    model = Beluga(**SMALL)
    state = {k: (v.unsqueeze(2) if v.ndim == 3 else v) for k, v in model.state_dict().items()}
    path = tmp_path / "beluga.pth"
    torch.save(state, path)
    loaded = load_beluga(path)
    torch.testing.assert_close(loaded.model[0][0].weight, model.model[0][0].weight)
    assert loaded.n_outputs == 5 and not loaded.training
    torch.save({"bad": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(InputError, match="state_dict keys"):
        load_beluga(tmp_path / "bad.pth")


def test_absent_device_is_a_one_line_error(fasta, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert BelugaProfiles(_model(), fasta).device.type == "cpu"  # default: CUDA when present
    with pytest.raises(InputError, match="device: expected a device present on this machine"):
        BelugaProfiles(_model(), fasta, device="cuda")
