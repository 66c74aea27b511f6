from django.shortcuts import render

from core.scoping import scope_of


def home(request):
    return render(request, "core/home.html", {"scope": scope_of(request.user)})
