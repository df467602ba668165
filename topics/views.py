from django.shortcuts import render


def dashboard(request):
    return render(request, "topics/dashboard.html")


def topic_list(request):
    raise NotImplementedError


def topic_create(request):
    raise NotImplementedError


def topic_detail(request, pk):
    raise NotImplementedError


def topic_edit(request, pk):
    raise NotImplementedError


def topic_act(request, pk, action):
    raise NotImplementedError


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
