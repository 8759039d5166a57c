from assessments.access import membership_of


def membership(request):
    """The current user's membership (commune, unit, role) for the navigation bar."""
    return {"membership": membership_of(request.user)}
