"""File names of downloads: Vietnamese words folded to ASCII, never a letter lost."""

from django.http import HttpResponse

from guards.filenames import ascii_words, file_name, send_as


def test_vietnamese_is_folded_with_d_for_the_crossed_d():
    assert ascii_words("Xã Đông Hải, năm 2025") == "xa-dong-hai-nam-2025"
    assert ascii_words("đã ký (cơ quan)") == "da-ky-co-quan"
    assert ascii_words("Ủy ban nhân dân – Phường Đồ Sơn") == "uy-ban-nhan-dan-phuong-do-son"


def test_file_name_joins_the_words_and_leaves_empty_parts_out():
    assert file_name("Báo cáo", "số 01", "", "đã ký (cơ quan)", extension=".pdf") == (
        "bao-cao-so-01-da-ky-co-quan.pdf"
    )
    assert file_name("Nhật ký hoạt động", 2026, extension=".xlsx") == "nhat-ky-hoat-dong-2026.xlsx"


def test_send_as_names_a_download_or_an_inline_file():
    response = send_as(HttpResponse(b"x"), "bao-cao-so-01-chua-ky.pdf")
    assert response["Content-Disposition"] == 'attachment; filename="bao-cao-so-01-chua-ky.pdf"'
    response = send_as(HttpResponse(b"x"), "bao-cao.pdf", inline=True)
    assert response["Content-Disposition"] == 'inline; filename="bao-cao.pdf"'


def test_a_name_that_keeps_a_vietnamese_letter_is_sent_as_utf8():
    response = send_as(HttpResponse(b"x"), "Báo cáo.pdf")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''B%C3%A1o%20c%C3%A1o.pdf"
