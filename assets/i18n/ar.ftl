# Mandoob: Arabic (default language). Keys must match en.ftl.

## App
app-name = مندوب
app-tagline = خدمة المستفيدين في مواقعهم
society-name = جمعية القرين التعاونية متعددة الأغراض
language-switch = English
request-types-title = أنواع طلبات الدعم والمستندات المطلوبة
documents-besides-civil-id = المستندات (إضافة إلى البطاقة المدنية لمقدم الطلب)
none-beyond-civil-id = لا شيء غير البطاقة المدنية والعنوان
needs-amount = يتطلب مبلغًا
scope-earning-member = لكل فرد عامل
scope-child = لكل ابن أو ابنة
server-healthy = الخادم يعمل
decision-due = موعد قرار اللجنة: { $date }
overdue = متأخر

## Roles
role-representative = مندوب الفرع
role-social-researcher = الباحث الاجتماعي
role-committee = لجنة البحث
role-administrator = مدير النظام

## Workflow events
event-submitted = رُفع الطلب إلى اللجنة
event-referred = أُحيل إلى الباحث الاجتماعي
event-referral-answered = أجاب الباحث الاجتماعي
event-info-requested = طلبت اللجنة معلومات إضافية
event-info-provided = قُدّمت المعلومات المطلوبة
event-accepted = قُبل الطلب
event-rejected = رُفض الطلب
event-registered = سُجّلت الأسرة
event-service-delivered = قُدّمت الخدمة
event-closed = أُغلق الملف

## Request status
status-draft = مسودة
status-awaiting-decision = بانتظار قرار اللجنة
status-info-requested = بانتظار معلومات إضافية
status-accepted = مقبول
status-rejected = مرفوض
status-registered = مسجّل
status-in-service = تُقدَّم له الخدمة
status-closed = مغلق

## Why an event was refused
refusal-not-permitted = هذا الدور لا يملك صلاحية هذا الإجراء
refusal-invalid-transition = لا ينطبق هذا الإجراء على حالة الطلب الحالية
refusal-reason-required = يجب ذكر السبب
refusal-unknown-request = الطلب غير موجود في هذا الملف
refusal-no-open-referral = لا توجد إحالة مفتوحة للرد عليها

## Relations
relation-head = رب الأسرة
relation-spouse = الزوج/الزوجة
relation-son = ابن
relation-daughter = ابنة
relation-father = الأب
relation-mother = الأم
relation-brother = أخ
relation-sister = أخت
relation-grandchild = حفيد/حفيدة
relation-other = قريب آخر
sex-male = ذكر
sex-female = أنثى

## Governorates
governorate-capital = العاصمة
governorate-hawalli = حولي
governorate-farwaniya = الفروانية
governorate-ahmadi = الأحمدي
governorate-jahra = الجهراء
governorate-mubarak-al-kabeer = مبارك الكبير

## Housing, income and expenses
housing-owned = ملك
housing-rented = إيجار
housing-government = سكن حكومي
housing-family = مع الأهل
housing-other = أخرى
income-salary = راتب
income-pension = معاش تقاعدي
income-social-assistance = مساعدة الشؤون الاجتماعية
income-business = عمل حر
income-family-support = دعم من الأقارب
income-other = دخل آخر
expense-rent = الإيجار
expense-utilities = الكهرباء والماء
expense-loan = أقساط القروض
expense-education = التعليم
expense-medical = العلاج
expense-food = الغذاء
expense-other = مصروفات أخرى

## Request types
request-type-monthly-aid = مساعدة مالية شهرية
request-type-emergency-aid = مساعدة طارئة لمرة واحدة
request-type-rent-assistance = المساعدة في الإيجار
request-type-medical = علاج طبي
request-type-education-fees = رسوم دراسية
request-type-food-basket = سلة غذائية / مساعدة عينية
request-type-utility-bills = فواتير الكهرباء والماء
request-type-debt-relief = الغارمين (سداد الديون)
request-type-orphan-sponsorship = كفالة أيتام

## Document kinds
document-kind-civil-id = البطاقة المدنية
document-kind-salary-certificate = شهادة راتب أو معاش
document-kind-bank-statement = كشف حساب بنكي (3 أشهر)
document-kind-paci-address = شهادة العنوان من الهيئة العامة للمعلومات المدنية
document-kind-emergency-proof = إثبات الحالة الطارئة (تقرير، فاتورة)
document-kind-rent-contract = عقد الإيجار
document-kind-rent-arrears = إيصال المالك أو إشعار المتأخرات
document-kind-income-proof = إثبات الدخل
document-kind-medical-report = تقرير طبي
document-kind-invoice = فاتورة أو عرض سعر
document-kind-fee-invoice = فاتورة الرسوم الدراسية
document-kind-enrolment-proof = إثبات قيد الطالب
document-kind-utility-bill = فاتورة الكهرباء أو الماء
document-kind-court-judgment = حكم المحكمة أو كشف الدائن
document-kind-death-certificate = شهادة وفاة الأب
document-kind-guardian-proof = إثبات الولاية أو الوصاية
document-kind-signature = توقيع مقدم الطلب
document-kind-other = مستند آخر

## Contact channels (the policy's eight)
channel-in-person = المقابلة الشخصية
channel-phone = الاتصال الهاتفي
channel-social-media = وسائل التواصل الاجتماعي
channel-letter = المراسلات
channel-assistance-request = خدمات طلب المساعدة
channel-volunteering = خدمة التطوع
channel-website = الموقع الإلكتروني للجمعية
channel-branch-representative = مندوبو الأفرع
direction-inbound = من المستفيد
direction-outbound = إلى المستفيد

## Services
service-cash = تحويل نقدي
service-food = سلة غذائية
service-in-kind = مساعدة عينية
service-bill-payment = سداد فاتورة
service-fee-payment = سداد رسوم
service-other = خدمة أخرى

## Satisfaction survey
survey-title = رأيك يهمنا
survey-intro = تقييم الخدمة حق لك، ونستخدمه لتحسين خدماتنا، وليس لمحاسبة أحد.
survey-reception = هل استقبلناك بلطف واحترام؟
survey-time-and-answers = هل أعطيناك وقتًا كافيًا وأجبنا عن كل أسئلتك؟
survey-clarity = هل كانت الإجراءات واضحة لك؟
survey-speed = هل كانت الخدمة سريعة؟
survey-overall = ما مدى رضاك عن الخدمة بشكل عام؟
survey-comment = ملاحظاتك (اختياري)
survey-wants-contact = أرغب أن تتواصلوا معي

## Validation errors
error-required = هذا الحقل مطلوب
error-civil-id-length = الرقم المدني 12 رقمًا، والمُدخل { $count }
error-civil-id-not-digits = الرقم المدني أرقام فقط
error-civil-id-century = الرقم الأول من الرقم المدني 1 أو 2 أو 3
error-civil-id-date = تاريخ الميلاد في الرقم المدني غير صحيح
error-civil-id-future = تاريخ الميلاد في الرقم المدني في المستقبل
error-civil-id-check-digit = الرقم المدني غير صحيح، تحقق من الأرقام
error-civil-id-birth-date-mismatch = تاريخ الميلاد لا يطابق الرقم المدني ({ $civil_id_date })
error-civil-id-repeated = هذا الرقم المدني مسجّل لفرد آخر في الأسرة
error-phone-characters = رقم الهاتف أرقام فقط
error-phone-length = رقم الهاتف الكويتي 8 أرقام
error-phone-prefix = رقم الهاتف الكويتي يبدأ بـ 2 أو 4 أو 5 أو 6 أو 9
error-phone-foreign = يُقبل رقم كويتي فقط (‎+965)
error-birth-date-future = تاريخ الميلاد في المستقبل
error-no-head = حدّد رب الأسرة
error-several-heads = للأسرة رب واحد فقط، والمُحدد { $count }
error-head-minor = رب الأسرة يجب أن يكون بالغًا ({ $adult_age } سنة فأكثر)، وعمره { $age }
error-amount-required = اذكر المبلغ المطلوب
error-amount-not-positive = المبلغ يجب أن يكون أكبر من صفر
error-document-missing = ينقص مستند: { $kind }
error-document-expired = انتهت صلاحية المستند ({ $kind }) في { $expired_on }
error-document-unknown = المستند المرفق غير موجود
error-declaration-missing = يجب أن يوقّع مقدم الطلب على الإقرار
error-signer-not-adult-member = يوقّع الإقرار فرد بالغ من الأسرة
error-score-out-of-range = التقييم من 1 إلى 5
error-unknown-request = الطلب غير موجود
