from django.urls import path

from appraisal.views import council, rounds

app_name = "council"

urlpatterns = [
    # Rounds of appraisal
    path("<int:city>/dot/", rounds.rounds, name="rounds"),
    path("<int:city>/dot/them/", rounds.round_add, name="round_add"),
    path("<int:city>/dot/<int:round_pk>/", rounds.round_edit, name="round_edit"),
    # The council's sessions
    path("<int:city>/phien-hop/", council.sessions, name="sessions"),
    path(
        "<int:city>/dot/<int:round_pk>/phien-hop/them/",
        council.session_add,
        name="session_add",
    ),
    path("<int:city>/phien-hop/<int:session_pk>/", council.session, name="session"),
    path(
        "<int:city>/phien-hop/<int:session_pk>/them-ho-so/",
        council.session_items,
        name="session_items",
    ),
    path(
        "<int:city>/phien-hop/<int:session_pk>/ket-thuc/",
        council.session_close,
        name="session_close",
    ),
    path(
        "<int:city>/phien-hop/<int:session_pk>/muc/<int:council_item_pk>/bieu-quyet/",
        council.vote,
        name="vote",
    ),
    path(
        "<int:city>/phien-hop/<int:session_pk>/muc/<int:council_item_pk>/bo/",
        council.item_remove,
        name="item_remove",
    ),
    # The city's recognition decision (last: its state, concluded submissions, follows the
    # sessions')
    path("<int:city>/dot/<int:round_pk>/cong-nhan/", council.recognition, name="recognition"),
]
