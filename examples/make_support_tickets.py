"""Compose examples/support_tickets.csv from the team's hand-written clause banks (deterministic, seed 7).

Each message combines one to three intent clauses of one language, in random order, with an optional greeting
and sign-off; its labels are the intents of its clauses. Run: python examples/make_support_tickets.py
"""

from __future__ import annotations

import csv
import os
import random
import tempfile
from pathlib import Path

LABELS = ["billing", "delivery", "refund", "technical", "account", "complaint", "praise", "urgent"]

# language -> label -> clauses; plus greetings and sign-offs. Written by the team for this data set.
BANK: dict[str, dict[str, list[str]]] = {
    "en": {
        "billing": ["I was charged twice for order {n}.", "My invoice shows a fee I never agreed to.",
                    "The amount on my card statement doesn't match the price on your site.",
                    "Why did my monthly subscription go up without notice?"],
        "delivery": ["My parcel still hasn't arrived after {d} days.", "The tracking number you sent doesn't work.",
                     "The courier left the package at the wrong address.", "Order {n} says delivered but it's not here."],
        "refund": ["I'd like my money back.", "Please refund the {p} euros you owe me.",
                   "I returned the item two weeks ago and still have no refund.", "Can you cancel the order and refund me?"],
        "technical": ["The app crashes every time I open the checkout page.", "I get error 500 when I try to pay.",
                      "The download link is broken.", "The device won't turn on after the latest update."],
        "account": ["I can't log in to my account.", "The password reset email never arrives.",
                    "Please change the email address on my account.", "My account was locked for no reason."],
        "complaint": ["This is the third time this happens and I'm fed up.", "Your customer service is terrible.",
                      "Nobody has answered my previous two emails.", "I'm really disappointed with how this was handled."],
        "praise": ["Your support agent Maria was fantastic.", "Thanks, the new version works beautifully.",
                   "Great service as always!", "I love how fast you shipped my last order."],
        "urgent": ["Please help, this is urgent!", "I need this fixed today.", "It's an emergency, I travel tomorrow.",
                   "Please reply as soon as possible."],
        "_greet": ["Hi,", "Hello team,", "Good morning,", "Dear support,"],
        "_close": ["Thanks.", "Regards, Sam", "Best wishes.", "Cheers"],
    },
    "es": {
        "billing": ["Me cobraron dos veces el pedido {n}.", "En mi factura aparece un cargo que no reconozco.",
                    "El importe de la tarjeta no coincide con el precio de la web.",
                    "¿Por qué subió mi suscripción sin avisar?"],
        "delivery": ["Mi paquete todavía no ha llegado después de {d} días.", "El número de seguimiento no funciona.",
                     "El repartidor dejó el paquete en otra dirección.", "El pedido {n} figura como entregado pero no lo tengo."],
        "refund": ["Quiero que me devuelvan el dinero.", "Por favor, reembolsen los {p} euros.",
                   "Devolví el artículo hace dos semanas y sigo sin reembolso.", "¿Pueden cancelar el pedido y devolverme el dinero?"],
        "technical": ["La aplicación se cierra al abrir el carrito.", "Me sale el error 500 al pagar.",
                      "El enlace de descarga está roto.", "El aparato no enciende desde la última actualización."],
        "account": ["No puedo iniciar sesión en mi cuenta.", "Nunca me llega el correo para restablecer la contraseña.",
                    "Quiero cambiar el correo de mi cuenta.", "Mi cuenta está bloqueada sin motivo."],
        "complaint": ["Es la tercera vez que pasa y estoy harta.", "Su atención al cliente es pésima.",
                      "Nadie ha contestado mis dos correos anteriores.", "Estoy muy decepcionado con el trato recibido."],
        "praise": ["La agente que me atendió fue encantadora.", "Gracias, la nueva versión funciona de maravilla.",
                   "¡Excelente servicio como siempre!", "Me encantó lo rápido que llegó mi último pedido."],
        "urgent": ["¡Ayuda, es urgente!", "Necesito que lo resuelvan hoy mismo.", "Es una emergencia, viajo mañana.",
                   "Respondan lo antes posible, por favor."],
        "_greet": ["Hola,", "Buenos días,", "Estimado equipo,"],
        "_close": ["Gracias.", "Un saludo, Ana", "Saludos cordiales."],
    },
    "de": {
        "billing": ["Die Bestellung {n} wurde mir doppelt abgebucht.", "Auf meiner Rechnung steht eine unbekannte Gebühr.",
                    "Der abgebuchte Betrag stimmt nicht mit dem Preis im Shop überein.",
                    "Warum ist mein Abo ohne Ankündigung teurer geworden?"],
        "delivery": ["Mein Paket ist nach {d} Tagen immer noch nicht da.", "Die Sendungsnummer funktioniert nicht.",
                     "Der Bote hat das Paket an der falschen Adresse abgegeben.", "Bestellung {n} gilt als zugestellt, ist aber nicht angekommen."],
        "refund": ["Ich möchte mein Geld zurück.", "Bitte erstatten Sie mir die {p} Euro.",
                   "Ich habe die Ware vor zwei Wochen zurückgeschickt und noch keine Erstattung erhalten.",
                   "Können Sie die Bestellung stornieren und mir den Betrag zurückzahlen?"],
        "technical": ["Die App stürzt beim Öffnen des Warenkorbs ab.", "Beim Bezahlen kommt Fehler 500.",
                      "Der Download-Link ist kaputt.", "Das Gerät startet seit dem letzten Update nicht mehr."],
        "account": ["Ich kann mich nicht in mein Konto einloggen.", "Die E-Mail zum Zurücksetzen des Passworts kommt nie an.",
                    "Bitte ändern Sie die E-Mail-Adresse in meinem Konto.", "Mein Konto wurde grundlos gesperrt."],
        "complaint": ["Das passiert jetzt schon zum dritten Mal, ich bin es leid.", "Ihr Kundenservice ist eine Katastrophe.",
                      "Auf meine letzten zwei E-Mails hat niemand geantwortet.", "Ich bin sehr enttäuscht von Ihnen."],
        "praise": ["Ihr Mitarbeiter am Telefon war super freundlich.", "Danke, die neue Version läuft wunderbar.",
                   "Toller Service wie immer!", "Die schnelle Lieferung letzte Woche hat mich begeistert."],
        "urgent": ["Bitte helfen Sie mir, es ist dringend!", "Ich brauche heute noch eine Lösung.",
                   "Es ist ein Notfall, ich reise morgen ab.", "Bitte antworten Sie so schnell wie möglich."],
        "_greet": ["Hallo,", "Guten Tag,", "Sehr geehrte Damen und Herren,"],
        "_close": ["Danke.", "Viele Grüße, Jonas", "Mit freundlichen Grüßen"],
    },
    "fr": {
        "billing": ["On m'a débité deux fois la commande {n}.", "Ma facture contient des frais que je n'ai pas acceptés.",
                    "Le montant prélevé ne correspond pas au prix affiché.",
                    "Pourquoi mon abonnement a-t-il augmenté sans prévenir ?"],
        "delivery": ["Mon colis n'est toujours pas arrivé après {d} jours.", "Le numéro de suivi ne fonctionne pas.",
                     "Le livreur a déposé le colis à la mauvaise adresse.", "La commande {n} est indiquée livrée mais je ne l'ai pas."],
        "refund": ["Je souhaite être remboursé.", "Merci de me rembourser les {p} euros.",
                   "J'ai renvoyé l'article il y a deux semaines et toujours aucun remboursement.",
                   "Pouvez-vous annuler la commande et me rembourser ?"],
        "technical": ["L'application plante quand j'ouvre le panier.", "J'ai une erreur 500 au moment de payer.",
                      "Le lien de téléchargement est cassé.", "L'appareil ne s'allume plus depuis la mise à jour."],
        "account": ["Je n'arrive pas à me connecter à mon compte.", "Je ne reçois jamais l'e-mail de réinitialisation du mot de passe.",
                    "Merci de modifier l'adresse e-mail de mon compte.", "Mon compte a été bloqué sans raison."],
        "complaint": ["C'est la troisième fois que ça arrive, j'en ai assez.", "Votre service client est déplorable.",
                      "Personne n'a répondu à mes deux derniers messages.", "Je suis très déçue de la façon dont c'est géré."],
        "praise": ["Votre conseillère a été formidable.", "Merci, la nouvelle version marche parfaitement.",
                   "Service impeccable comme toujours !", "J'ai adoré la rapidité de ma dernière livraison."],
        "urgent": ["Aidez-moi, c'est urgent !", "J'ai besoin d'une solution aujourd'hui.",
                   "C'est une urgence, je pars demain.", "Merci de répondre au plus vite."],
        "_greet": ["Bonjour,", "Bonsoir,", "Madame, Monsieur,"],
        "_close": ["Merci.", "Cordialement, Claire", "Bien à vous."],
    },
    "ar": {
        "billing": ["تم خصم مبلغ الطلب {n} مرتين من بطاقتي.", "في فاتورتي رسوم لم أوافق عليها.",
                    "المبلغ المخصوم لا يطابق السعر المعروض في الموقع.", "لماذا ارتفع سعر اشتراكي الشهري دون إشعار؟"],
        "delivery": ["لم يصل طردي بعد {d} أيام.", "رقم التتبع الذي أرسلتموه لا يعمل.",
                     "ترك المندوب الطرد في عنوان خاطئ.", "الطلب {n} مسجل كمُسلَّم لكنه لم يصلني."],
        "refund": ["أريد استرداد أموالي.", "أرجو إعادة مبلغ {p} يورو.",
                   "أعدت المنتج منذ أسبوعين ولم أسترد المبلغ حتى الآن.", "هل يمكنكم إلغاء الطلب وإرجاع المبلغ؟"],
        "technical": ["التطبيق يتوقف كلما فتحت صفحة الدفع.", "يظهر لي الخطأ 500 عند الدفع.",
                      "رابط التحميل لا يعمل.", "الجهاز لا يعمل بعد التحديث الأخير."],
        "account": ["لا أستطيع تسجيل الدخول إلى حسابي.", "رسالة إعادة تعيين كلمة المرور لا تصل أبداً.",
                    "أرجو تغيير البريد الإلكتروني في حسابي.", "تم قفل حسابي دون سبب."],
        "complaint": ["هذه ثالث مرة يحدث فيها هذا وقد سئمت.", "خدمة العملاء لديكم سيئة جداً.",
                      "لم يرد أحد على رسالتيّ السابقتين.", "أنا مستاء جداً من طريقة التعامل."],
        "praise": ["موظفة الدعم كانت رائعة.", "شكراً، النسخة الجديدة تعمل بشكل ممتاز.",
                   "خدمة ممتازة كالعادة!", "أعجبتني سرعة توصيل طلبي الأخير."],
        "urgent": ["أرجو المساعدة، الأمر عاجل!", "أحتاج إلى حل اليوم.", "إنها حالة طارئة، سأسافر غداً.",
                   "أرجو الرد في أسرع وقت ممكن."],
        "_greet": ["مرحباً،", "السلام عليكم،", "صباح الخير،"],
        "_close": ["شكراً.", "مع التحية، أحمد", "تحياتي."],
    },
    "zh": {
        "billing": ["订单{n}被扣了两次款。", "我的账单里有一笔我没同意的费用。", "信用卡扣款金额和网站上的价格不一样。",
                    "为什么我的月度订阅没通知就涨价了？"],
        "delivery": ["我的包裹{d}天了还没到。", "你们发的快递单号查不到。", "快递员把包裹送错了地址。",
                     "订单{n}显示已签收，但我根本没收到。"],
        "refund": ["我要退款。", "请退还{p}元给我。", "两周前就退货了，到现在还没退款。", "能取消订单并退款吗？"],
        "technical": ["一打开结算页面应用就闪退。", "付款时出现500错误。", "下载链接打不开。", "上次更新后设备开不了机。"],
        "account": ["我登录不了我的账户。", "重置密码的邮件一直收不到。", "请帮我修改账户绑定的邮箱。", "我的账户被无故锁定了。"],
        "complaint": ["这已经是第三次了，我受够了。", "你们的客服太差了。", "前两封邮件都没人回复。", "对你们的处理方式非常失望。"],
        "praise": ["客服小王非常耐心，谢谢！", "谢谢，新版本很好用。", "服务一如既往地好！", "上次发货速度太快了，很满意。"],
        "urgent": ["急！请尽快帮忙！", "今天必须解决。", "情况紧急，我明天就出差。", "请尽快回复。"],
        "_greet": ["你好，", "您好，", "客服你好，"],
        "_close": ["谢谢。", "辛苦了。", "祝好。"],
    },
    "hi": {
        "billing": ["ऑर्डर {n} के लिए मुझसे दो बार पैसे काटे गए।", "मेरे बिल में एक ऐसा शुल्क है जिसकी मैंने मंज़ूरी नहीं दी।",
                    "कार्ड से कटी रकम वेबसाइट की कीमत से मेल नहीं खाती।", "मेरी मासिक सदस्यता बिना बताए महँगी क्यों हो गई?"],
        "delivery": ["{d} दिन हो गए, मेरा पार्सल अभी तक नहीं आया।", "आपका भेजा ट्रैकिंग नंबर काम नहीं करता।",
                     "कूरियर ने पार्सल गलत पते पर छोड़ दिया।", "ऑर्डर {n} डिलीवर दिखा रहा है पर मुझे मिला नहीं।"],
        "refund": ["मुझे मेरे पैसे वापस चाहिए।", "कृपया मेरे {p} रुपये वापस करें।",
                   "दो हफ्ते पहले सामान लौटा दिया था, रिफंड अभी तक नहीं मिला।", "क्या आप ऑर्डर रद्द करके पैसे लौटा सकते हैं?"],
        "technical": ["चेकआउट पेज खोलते ही ऐप बंद हो जाता है।", "भुगतान करते समय एरर 500 आता है।",
                      "डाउनलोड लिंक काम नहीं कर रहा।", "पिछले अपडेट के बाद डिवाइस चालू नहीं हो रहा।"],
        "account": ["मैं अपने खाते में लॉग इन नहीं कर पा रहा हूँ।", "पासवर्ड रीसेट का ईमेल कभी नहीं आता।",
                    "कृपया मेरे खाते का ईमेल पता बदल दें।", "मेरा खाता बिना वजह बंद कर दिया गया।"],
        "complaint": ["यह तीसरी बार हो रहा है, मैं तंग आ गया हूँ।", "आपकी ग्राहक सेवा बहुत खराब है।",
                      "मेरे पिछले दो ईमेल का किसी ने जवाब नहीं दिया।", "आपके रवैये से मैं बहुत निराश हूँ।"],
        "praise": ["आपकी सहायता टीम बहुत अच्छी थी।", "धन्यवाद, नया संस्करण बढ़िया चल रहा है।",
                   "हमेशा की तरह शानदार सेवा!", "पिछला ऑर्डर इतनी जल्दी पहुँचा, बहुत खुशी हुई।"],
        "urgent": ["कृपया मदद करें, बहुत ज़रूरी है!", "मुझे आज ही इसका हल चाहिए।", "यह आपात स्थिति है, मैं कल यात्रा पर जा रहा हूँ।",
                   "कृपया जल्द से जल्द जवाब दें।"],
        "_greet": ["नमस्ते,", "प्रिय सहायता टीम,", "सुप्रभात,"],
        "_close": ["धन्यवाद।", "सादर, राहुल", "शुक्रिया।"],
    },
    "ru": {
        "billing": ["За заказ {n} с меня списали деньги дважды.", "В счёте есть плата, на которую я не соглашался.",
                    "Списанная сумма не совпадает с ценой на сайте.", "Почему подписка подорожала без предупреждения?"],
        "delivery": ["Посылка не пришла уже {d} дней.", "Трек-номер, который вы прислали, не работает.",
                     "Курьер оставил посылку по неправильному адресу.", "Заказ {n} отмечен как доставленный, но я его не получил."],
        "refund": ["Верните мне деньги.", "Прошу вернуть {p} рублей.",
                   "Я вернул товар две недели назад, а деньги так и не пришли.", "Можно отменить заказ и вернуть оплату?"],
        "technical": ["Приложение вылетает при открытии корзины.", "При оплате выдаёт ошибку 500.",
                      "Ссылка на скачивание не работает.", "После обновления устройство не включается."],
        "account": ["Не могу войти в личный кабинет.", "Письмо для сброса пароля так и не приходит.",
                    "Пожалуйста, смените адрес почты в моём аккаунте.", "Мой аккаунт заблокировали без причины."],
        "complaint": ["Это уже третий раз, мне надоело.", "Ваша поддержка работает ужасно.",
                      "На два предыдущих письма никто не ответил.", "Я очень разочарована вашим отношением."],
        "praise": ["Оператор Ольга очень помогла, спасибо!", "Спасибо, новая версия работает отлично.",
                   "Отличный сервис, как всегда!", "Прошлый заказ пришёл невероятно быстро."],
        "urgent": ["Помогите, это срочно!", "Нужно решить это сегодня.", "Это срочно, я завтра уезжаю.",
                   "Ответьте, пожалуйста, как можно скорее."],
        "_greet": ["Здравствуйте,", "Добрый день,", "Уважаемая поддержка,"],
        "_close": ["Спасибо.", "С уважением, Иван", "Заранее благодарю."],
    },
}
# Intents that do not go together in one message.
INCOMPATIBLE = {frozenset({"praise", "complaint"})}
ROWS_PER_LANGUAGE = 110


def _intents(rng: random.Random) -> list[str]:
    k = rng.choices([1, 2, 3], weights=[0.45, 0.4, 0.15])[0]
    weights = {"billing": 3, "delivery": 3, "refund": 2, "technical": 3, "account": 2, "complaint": 2, "praise": 1,
               "urgent": 1.5}
    chosen: list[str] = []
    while len(chosen) < k:
        label = rng.choices(list(weights), weights=list(weights.values()))[0]
        if label in chosen or any(frozenset({label, c}) in INCOMPATIBLE for c in chosen):
            continue
        chosen.append(label)
    return chosen


def compose(seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows, seen = [], set()
    for language, bank in BANK.items():
        made = 0
        while made < ROWS_PER_LANGUAGE:
            intents = _intents(rng)
            clauses = [rng.choice(bank[label]) for label in intents]
            rng.shuffle(clauses)
            greeting = rng.choice(bank["_greet"]).rstrip(",，،") + ("！" if language == "zh" else "!")
            parts = ([greeting] if rng.random() < 0.4 else []) + clauses
            parts += [rng.choice(bank["_close"])] if rng.random() < 0.35 else []
            sep = "" if language == "zh" else " "
            text = sep.join(parts).format(n=rng.randint(10000, 99999), d=rng.randint(3, 21), p=rng.choice(
                [15, 29, 49, 120, 250, 1200]))
            key = (language, sep.join(clauses))
            if key in seen:
                continue
            seen.add(key)
            made += 1
            rows.append({"id": f"{language}-{made:03d}", "text": text, "language": language,
                         "labels": "|".join(sorted(intents, key=LABELS.index))})
    return rows


def main() -> None:
    out = Path(__file__).with_name("support_tickets.csv")
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "text", "language", "labels"])
        writer.writeheader()
        writer.writerows(compose())
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
